import type { RunState, RunStatusMessage } from "@ambit/protocol";
import { and, eq, getTableColumns, lt, sql } from "drizzle-orm";
import { createDb, type Db } from "../../src/db/client.ts";
import { runs } from "../../src/db/schema.ts";
import { statementOnce } from "../../src/db/statements.ts";
import { HEARD_OF_UPDATED_RUN } from "../../src/lib/platform-listeners.ts";
import type { RunRecord } from "./storage.ts";

/** The summary columns of a run's D1 row that its indexes cover (state, updated_at) or that rarely change. */
const TRACKED = ["state", "updated_at", "started_at", "ended_at"] as const;
export type D1Columns = Pick<RunRecord, (typeof TRACKED)[number]>;

export const d1Columns = (r: RunRecord): D1Columns => ({
  state: r.state,
  updated_at: r.updated_at,
  started_at: r.started_at,
  ended_at: r.ended_at,
});

/**
 * Writes the run's summary to its D1 row so lists and filters never touch a Durable Object.
 * Guarded by `summary_seq`, so a late or repeated write can never move the row backwards.
 *
 * `known` is what the row is known to hold already: those columns are left out when unchanged.
 * SQLite rewrites every index whose column an UPDATE sets, even to the same value (four of
 * `runs`' hold state, updated_at, started_at or ended_at); a status message alone touches none.
 * Without `known` every column is written. Answers whether the row took the write, and, read
 * by the same statement (`RETURNING`), whether anyone hears of the run's platform events
 * (`platform-listeners.ts`); unknown (undefined) when it did not take it.
 */
export async function writeSummary(
  db: D1Database,
  r: RunRecord,
  known?: D1Columns | null,
): Promise<{ took: boolean; heard: boolean | undefined }> {
  const changed = TRACKED.filter((c) => !known || known[c] !== r[c]);
  const { results } = await summaryUpdate(changed)(createDb(db), r).all<{ heard: number }>();
  const row = results[0];
  return { took: row !== undefined, heard: row ? Boolean(row.heard) : undefined };
}

/** The schema's key of each `runs` column, by its D1 name (the run record's keys are D1 names). */
const KEY_OF = Object.fromEntries(
  Object.entries(getTableColumns(runs)).map(([key, column]) => [column.name, key]),
);
const summaryUpdates = new Map<string, (db: Db, r: RunRecord) => D1PreparedStatement>();

/** The summary's UPDATE setting these tracked columns (one statement per set of them, each built once). */
function summaryUpdate(changed: (typeof TRACKED)[number][]) {
  const key = changed.join(",");
  let update = summaryUpdates.get(key);
  if (!update) {
    // placeholders where values go: drizzle's types want the values themselves
    const set = Object.fromEntries(
      [...changed, "status_message", "summary_seq"].map((c) => [KEY_OF[c], sql.placeholder(c)]),
    );
    update = statementOnce<RunRecord>((db) =>
      db
        .update(runs)
        .set(set as Partial<typeof runs.$inferInsert>)
        .where(
          and(
            eq(runs.id, sql.placeholder("id")),
            eq(runs.teamId, sql.placeholder("team_id")),
            lt(runs.summarySeq, sql.placeholder("summary_seq")),
          ),
        )
        .returning({ heard: sql<number>`${sql.raw(HEARD_OF_UPDATED_RUN)}`.as("heard") }),
    );
    summaryUpdates.set(key, update);
  }
  return update;
}

type WaitAnswer = { ok: true; state: RunState } | { ok: false };

/**
 * Says why runs wait on their D1 rows alone, for runs whose session does not exist yet (the pool
 * tells an existing session instead: HostPool `sessions`), in one D1 batch. Only a QUEUED row
 * takes it. Each answer is the row's state, as a session's `waiting` gives it, or not ok for an
 * unknown run.
 */
export async function writeWaiting(
  db: D1Database,
  items: { ref: { runId: string; teamId: string }; message: string }[],
): Promise<WaitAnswer[]> {
  const d = createDb(db);
  const updates = await db.batch<{ state: RunState }>(
    items.map(({ ref, message }) => waitingUpdate(d, { ...ref, statusMessage: { message } })),
  );
  const answers: (WaitAnswer | null)[] = updates.map((u) =>
    u.results[0] ? { ok: true, state: u.results[0].state } : null,
  );
  const others = items.filter((_, i) => !answers[i]);
  if (!others.length) return answers as WaitAnswer[];
  // not QUEUED (any more), or not a run of that team: what is it?
  const rows = await db.batch<{ state: RunState }>(others.map(({ ref }) => runState(d, ref)));
  let k = 0;
  return answers.map((a) => {
    if (a) return a;
    const row = rows[k++].results[0];
    return row ? { ok: true, state: row.state } : { ok: false };
  });
}

const ofRun = () =>
  and(eq(runs.id, sql.placeholder("runId")), eq(runs.teamId, sql.placeholder("teamId")));

/** A wait message, taken only by a QUEUED row; answers the row's state. */
const waitingUpdate = statementOnce<{
  runId: string;
  teamId: string;
  statusMessage: RunStatusMessage;
}>((db) =>
  db
    .update(runs)
    .set({ statusMessage: sql.placeholder("statusMessage") })
    .where(and(ofRun(), eq(runs.state, "QUEUED")))
    .returning({ state: runs.state }),
);
const runState = statementOnce<{ runId: string; teamId: string }>((db) =>
  db.select({ state: runs.state }).from(runs).where(ofRun()),
);

/** How long wait messages for D1 gather before they are written together. */
export const WAIT_WRITE_DELAY_MS = 20;

/**
 * Gathers the `writeWaiting` calls of WAIT_WRITE_DELAY_MS into one D1 batch: a refresh of the
 * line, or the offers of a busy queue, tell many runs at once. A message reaches the row that
 * much later; an offer is answered after it (the queue gathers the next runs meanwhile).
 */
export class WaitWrites {
  private pending: {
    item: { ref: { runId: string; teamId: string }; message: string };
    resolve(a: WaitAnswer): void;
    reject(err: unknown): void;
  }[] = [];

  constructor(private db: D1Database) {}

  write(ref: { runId: string; teamId: string }, message: string): Promise<WaitAnswer> {
    return new Promise((resolve, reject) => {
      if (!this.pending.length) setTimeout(() => void this.flush(), WAIT_WRITE_DELAY_MS);
      this.pending.push({ item: { ref, message }, resolve, reject });
    });
  }

  private async flush() {
    const batch = this.pending;
    this.pending = [];
    try {
      const answers = await writeWaiting(
        this.db,
        batch.map((p) => p.item),
      );
      for (const [i, p] of batch.entries()) p.resolve(answers[i]);
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}

/** A run's D1 row as dispatch needs it: its columns under their D1 names, JSON ones as stored (text). */
export type DispatchRow = {
  id: string;
  team_id: string;
  state: string;
  status_message: string | null;
  title: string;
  prompt: string;
  agent_config: string | null;
  worker_host: string | null;
  execution_location: string;
  creator_type: "user" | "service_account";
  creator_id: string;
  /** RunSourceType: where the run came from (API, SLACK, LINEAR, …) */
  source: string;
  personal_access: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
  summary_seq: number;
};

/** The read of `readRunRow`, built once (also in the assignment's batch: assignment-reads.ts). */
export const runRowStatement = statementOnce<{ runId: string; teamId: string }>((db) =>
  db
    .select({
      id: runs.id,
      team_id: runs.teamId,
      state: runs.state,
      status_message: runs.statusMessage,
      title: runs.title,
      prompt: runs.prompt,
      agent_config: runs.agentConfig,
      worker_host: runs.workerHost,
      execution_location: runs.executionLocation,
      creator_type: runs.creatorType,
      creator_id: runs.creatorId,
      source: runs.source,
      personal_access: runs.personalAccess,
      created_at: runs.createdAt,
      updated_at: runs.updatedAt,
      started_at: runs.startedAt,
      ended_at: runs.endedAt,
      summary_seq: runs.summarySeq,
    })
    .from(runs)
    .where(ofRun()),
);

/**
 * The one read of a run as dispatch needs it: what a session that was never opened starts from
 * (see RunSession.load), and what its holder is given (the frozen configuration, the creator, see
 * host-pool/assignment.ts). Null: no such run in that team.
 */
export async function readRunRow(
  db: D1Database,
  runId: string,
  teamId: string,
): Promise<DispatchRow | null> {
  return runRowStatement(createDb(db), { runId, teamId }).first<DispatchRow>();
}
