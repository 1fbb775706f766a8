import type { RunState } from "@ambit/protocol";
import type { RunRecord } from "./storage.ts";

/** The summary columns of a run's D1 row that its indexes cover (state, updated_at) or that rarely change. */
const TRACKED = ["state", "updated_at", "started_at", "ended_at"] as const;
export type D1Columns = Pick<RunRecord, (typeof TRACKED)[number]>;

export const d1Columns = (r: RunRecord): D1Columns => ({ state: r.state, updated_at: r.updated_at, started_at: r.started_at, ended_at: r.ended_at });

/**
 * Writes the run's summary to its D1 row so lists and filters never touch a Durable Object.
 * Guarded by `summary_seq`, so a late or repeated write can never move the row backwards.
 *
 * `known` is what the row is known to hold already: those columns are left out when unchanged.
 * `runs` has a dozen `(team_id, …, updated_at)` indexes, and SQLite rewrites every index whose
 * column an UPDATE sets, even to the same value; a status message alone touches none of them.
 * Without `known` every column is written. Answers whether the row took the write.
 */
export async function writeSummary(db: D1Database, r: RunRecord, known?: D1Columns | null): Promise<boolean> {
  const changed = TRACKED.filter((c) => !known || known[c] !== r[c]);
  const result = await db
    .prepare(
      `UPDATE runs SET ${[...changed, "status_message", "summary_seq"].map((c) => `${c} = ?`).join(", ")}
       WHERE id = ? AND team_id = ? AND summary_seq < ?`,
    )
    .bind(...changed.map((c) => r[c]), r.status_message ? JSON.stringify(r.status_message) : null, r.summary_seq, r.id, r.team_id, r.summary_seq)
    .run();
  return result.meta.changes > 0;
}

type WaitAnswer = { ok: true; state: RunState } | { ok: false };

/**
 * Says why runs wait on their D1 rows alone, for runs whose session does not exist yet (the pool
 * tells an existing session instead: HostPool `sessions`), in one D1 batch. Only a QUEUED row
 * takes it. Each answer is the row's state, as a session's `waiting` gives it, or not ok for an
 * unknown run.
 */
export async function writeWaiting(db: D1Database, items: { ref: { runId: string; teamId: string }; message: string }[]): Promise<WaitAnswer[]> {
  const updates = await db.batch<{ state: RunState }>(
    items.map(({ ref, message }) =>
      db
        .prepare("UPDATE runs SET status_message = ? WHERE id = ? AND team_id = ? AND state = 'QUEUED' RETURNING state")
        .bind(JSON.stringify({ message }), ref.runId, ref.teamId),
    ),
  );
  const answers: (WaitAnswer | null)[] = updates.map((u) => (u.results[0] ? { ok: true, state: u.results[0].state } : null));
  const others = items.filter((_, i) => !answers[i]);
  if (!others.length) return answers as WaitAnswer[];
  // not QUEUED (any more), or not a run of that team: what is it?
  const rows = await db.batch<{ state: RunState }>(
    others.map(({ ref }) => db.prepare("SELECT state FROM runs WHERE id = ? AND team_id = ?").bind(ref.runId, ref.teamId)),
  );
  let k = 0;
  return answers.map((a) => {
    if (a) return a;
    const row = rows[k++].results[0];
    return row ? { ok: true, state: row.state } : { ok: false };
  });
}

/** How long wait messages for D1 gather before they are written together. */
export const WAIT_WRITE_DELAY_MS = 20;

/**
 * Gathers the `writeWaiting` calls of WAIT_WRITE_DELAY_MS into one D1 batch: a refresh of the
 * line, or the offers of a busy queue, tell many runs at once. A message reaches the row that
 * much later; an offer is answered after it (the queue gathers the next runs meanwhile).
 */
export class WaitWrites {
  private pending: { item: { ref: { runId: string; teamId: string }; message: string }; resolve(a: WaitAnswer): void; reject(err: unknown): void }[] = [];

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
      const answers = await writeWaiting(this.db, batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(answers[i]));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}

/** The run's row as D1 has it, for a session that was never opened (see RunSession.load). */
export async function readRunRow(db: D1Database, runId: string, teamId: string) {
  return db
    .prepare(
      `SELECT id, team_id, state, status_message, prompt, worker_host, execution_location, creator_type, creator_id, created_at, updated_at,
         started_at, ended_at, summary_seq FROM runs WHERE id = ? AND team_id = ?`,
    )
    .bind(runId, teamId)
    .first<{
      id: string; team_id: string; state: string; status_message: string | null; prompt: string; worker_host: string | null; execution_location: string;
      creator_type: "user" | "service_account"; creator_id: string; created_at: number; updated_at: number; started_at: number | null; ended_at: number | null;
      summary_seq: number;
    }>();
}
