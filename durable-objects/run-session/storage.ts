import type { EventActor, RunEvent, RunState, RunStatusMessage } from "@ambit/protocol";
import { type Starter, UNKNOWN_STARTER } from "../../src/lib/personal-secrets.ts";

/** The run's own row inside its Durable Object: the authority for its state. */
export type RunRecord = {
  id: string;
  team_id: string;
  state: RunState;
  status_message: RunStatusMessage | null;
  cancel_requested_at: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
  /** seq of the last event that changed the D1 summary */
  summary_seq: number;
  /** seq of the last summary D1 acknowledged */
  synced_seq: number;
  /** 1 for the first execution; a follow-up on an ended run starts the next */
  execution_id: number;
  /** highest `host_seq` accepted from the host in this execution (resends at or below are refused) */
  host_seq: number;
  /** last seq written to the R2 transcript archive */
  archived_seq: number;
  /** the HostPool this run is dispatched through (`poolOf(worker_host)`) */
  pool: string;
  /** the team's maximum run time, given at dispatch; null: no limit */
  max_run_ms: number | null;
  /** when the current execution must have ended (started + max_run_ms) */
  deadline_at: number | null;
  /** when the run was told to stop for passing its deadline (or a budget: `stop_status`) */
  timed_out_at: number | null;
  /** how a run told to stop by a budget ends (FAILED, budget_exceeded); null: by its deadline */
  stop_status: RunStatusMessage | null;
  /** a LOCAL run (pool LOCAL_POOL) ends ERROR at this time unless its CLI reports again */
  lease_until: number | null;
  /** who started the current execution: the creator (execution 1), or the follow-up's sender (src/lib/personal-secrets.ts) */
  /** who started the current execution (`delegated`: through a key someone else minted for them) */
  started_by: Starter;
  /**
   * the platform events' cursor (platform-events.ts) as of this row's last write: stored with
   * the run's changes rather than by a write of its own; null: none yet (an older session keeps
   * it in the KV store)
   */
  platform_seq: number | null;
};

/** Each entry upgrades the schema by one version; applied in order, never edited once released. */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS run (
      id TEXT PRIMARY KEY, team_id TEXT NOT NULL, state TEXT NOT NULL, status_message TEXT,
      cancel_requested_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      started_at INTEGER, ended_at INTEGER, summary_seq INTEGER NOT NULL DEFAULT 0, synced_seq INTEGER NOT NULL DEFAULT 0)`,
    `CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)`,
  ],
  [
    "ALTER TABLE run ADD COLUMN execution_id INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE run ADD COLUMN host_seq INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE run ADD COLUMN archived_seq INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE events ADD COLUMN execution_id INTEGER NOT NULL DEFAULT 1",
  ],
  ["ALTER TABLE run ADD COLUMN pool TEXT NOT NULL DEFAULT 'warp'"],
  [
    "ALTER TABLE run ADD COLUMN max_run_ms INTEGER",
    "ALTER TABLE run ADD COLUMN deadline_at INTEGER",
    "ALTER TABLE run ADD COLUMN timed_out_at INTEGER",
  ],
  ["ALTER TABLE run ADD COLUMN lease_until INTEGER"],
  [
    "ALTER TABLE run ADD COLUMN started_by TEXT",
    // the sender of the follow-up that reopened the run last, else the creator
    `UPDATE run SET started_by = COALESCE(
      (SELECT actor FROM events WHERE type = 'run.state_changed' AND json_extract(payload, '$.command') = 'reopen' ORDER BY seq DESC LIMIT 1),
      (SELECT actor FROM events WHERE type = 'run.created' ORDER BY seq LIMIT 1))`,
  ],
  ["ALTER TABLE run ADD COLUMN stop_status TEXT"],
  ["ALTER TABLE run ADD COLUMN platform_seq INTEGER"],
  // the version itself moves here from the KV store (see `migrate`)
  [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (9)",
  ],
];

/**
 * The schema MIGRATIONS end at, created in one step by a new session (one per run, so every run
 * creation pays for it: replaying five versions of ALTER TABLE cost a new session several times
 * more). Any change to MIGRATIONS changes this too; a test checks the two give the same tables.
 */
const CURRENT: string[] = [
  `CREATE TABLE IF NOT EXISTS run (
    id TEXT PRIMARY KEY, team_id TEXT NOT NULL, state TEXT NOT NULL, status_message TEXT,
    cancel_requested_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    started_at INTEGER, ended_at INTEGER, summary_seq INTEGER NOT NULL DEFAULT 0, synced_seq INTEGER NOT NULL DEFAULT 0,
    execution_id INTEGER NOT NULL DEFAULT 1, host_seq INTEGER NOT NULL DEFAULT 0, archived_seq INTEGER NOT NULL DEFAULT 0,
    pool TEXT NOT NULL DEFAULT 'warp', max_run_ms INTEGER, deadline_at INTEGER, timed_out_at INTEGER, lease_until INTEGER,
    started_by TEXT, stop_status TEXT, platform_seq INTEGER)`,
  `CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL,
    execution_id INTEGER NOT NULL DEFAULT 1)`,
  "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
  `INSERT INTO schema_version (version) VALUES (${MIGRATIONS.length})`,
];
const CURRENT_SCRIPT = CURRENT.join(";\n");

/** Versions up to this one were stored in the KV store (`schema_version`), later ones in the table. */
const LAST_KV_VERSION = 8;

/**
 * Creates the tables (a new session: the current schema at once, in one `exec` of one script) or
 * upgrades them version by version; call inside `blockConcurrencyWhile` from the constructor.
 * Answers whether the storage was new (no tables yet): then it holds no run, no alarm and no key,
 * which the session need not read back.
 *
 * The version is a row of the `schema_version` table, written with the tables. Up to version 8
 * it was a key of the KV store: a new session's first KV write also creates the KV store's own
 * table, which cost every run creation as much again as its tables (the workerd authorizer does
 * not allow `PRAGMA user_version`). Such a session is upgraded, and its key deleted.
 */
export function migrate(sql: SqlStorage, kv: SyncKvStorage): boolean {
  const tables = sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('run', 'schema_version')",
    )
    .toArray()
    .map((t) => t.name);
  // no tables: a new session (the tables and their version were always written in one
  // synchronous step, one implicit transaction, so neither exists without the other)
  if (!tables.includes("run")) {
    sql.exec(CURRENT_SCRIPT);
    return true;
  }
  const version = tables.includes("schema_version")
    ? sql.exec<{ version: number }>("SELECT version FROM schema_version").one().version
    : ((kv.get<number>("schema_version") ?? 0) as number);
  if (version === MIGRATIONS.length) return false;
  // every step in this one synchronous call: all of them land, or none
  for (let v = version; v < MIGRATIONS.length; v++) {
    for (const stmt of MIGRATIONS[v]) sql.exec(stmt);
  }
  sql.exec("UPDATE schema_version SET version = ?", MIGRATIONS.length);
  if (version <= LAST_KV_VERSION) kv.delete("schema_version");
  return false;
}

type RawRun = Omit<RunRecord, "status_message" | "started_by" | "stop_status"> & {
  status_message: string | null;
  stop_status: string | null;
  started_by: string;
};

export function readRun(sql: SqlStorage): RunRecord | null {
  const rows = sql.exec<RawRun>("SELECT * FROM run LIMIT 1").toArray();
  if (!rows.length) return null;
  const r = rows[0];
  return {
    ...r,
    status_message: r.status_message ? JSON.parse(r.status_message) : null,
    stop_status: r.stop_status ? JSON.parse(r.stop_status) : null,
    started_by: r.started_by ? JSON.parse(r.started_by) : UNKNOWN_STARTER,
  };
}

const RUN_COLUMNS = [
  "id",
  "team_id",
  "state",
  "status_message",
  "cancel_requested_at",
  "created_at",
  "updated_at",
  "started_at",
  "ended_at",
  "summary_seq",
  "synced_seq",
  "execution_id",
  "host_seq",
  "archived_seq",
  "pool",
  "max_run_ms",
  "deadline_at",
  "timed_out_at",
  "lease_until",
  "started_by",
  "stop_status",
  "platform_seq",
] as const;

const values = (r: RunRecord) =>
  RUN_COLUMNS.map((c) =>
    c === "status_message" || c === "stop_status"
      ? r[c]
        ? JSON.stringify(r[c])
        : null
      : c === "started_by"
        ? JSON.stringify(r.started_by)
        : r[c],
  );

const INSERT_RUN = `INSERT INTO run (${RUN_COLUMNS.join(", ")}) VALUES (${RUN_COLUMNS.map(() => "?").join(", ")})`;
const UPDATE_RUN = `UPDATE run SET ${RUN_COLUMNS.slice(1)
  .map((c) => `${c} = ?`)
  .join(", ")} WHERE id = ?`;

export function insertRun(sql: SqlStorage, r: RunRecord) {
  sql.exec(INSERT_RUN, ...values(r));
}

export function updateRun(sql: SqlStorage, r: RunRecord) {
  sql.exec(UPDATE_RUN, ...values(r).slice(1), r.id);
}

/**
 * Appends an event and returns it; the caller broadcasts only after this returns. `seq`: its seq,
 * when the caller knows the log's last (one more than it; the primary key refuses a wrong one);
 * else the next, read in the same statement.
 */
export function appendEvent(
  sql: SqlStorage,
  e: {
    type: string;
    at: number;
    actor: EventActor;
    payload: object;
    execution_id: number;
    seq?: number;
  },
): RunEvent {
  const values = [e.type, e.at, JSON.stringify(e.actor), JSON.stringify(e.payload), e.execution_id];
  const seq =
    e.seq !== undefined
      ? (sql.exec(
          "INSERT INTO events (seq, type, at, actor, payload, execution_id) VALUES (?, ?, ?, ?, ?, ?)",
          e.seq,
          ...values,
        ),
        e.seq)
      : sql
          .exec<{ seq: number }>(
            "INSERT INTO events (seq, type, at, actor, payload, execution_id) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?, ?, ?, ?, ?) RETURNING seq",
            ...values,
          )
          .one().seq;
  return {
    seq,
    type: e.type,
    at: isoOf(e.at),
    actor: e.actor,
    execution_id: e.execution_id,
    payload: e.payload as Record<string, unknown>,
  };
}

/**
 * An event's time as the API shows it. The events of one change share their time, and a log's
 * neighbours often do: the last one made is kept (one `Date` and its text per distinct time).
 */
let lastIso = { ms: Number.NaN, iso: "" };
function isoOf(ms: number): string {
  if (ms !== lastIso.ms) lastIso = { ms, iso: new Date(ms).toISOString() };
  return lastIso.iso;
}

type RawEvent = {
  seq: number;
  type: string;
  at: number;
  actor: string;
  payload: string;
  execution_id: number;
};

const toEvent = (e: RawEvent): RunEvent => ({
  seq: e.seq,
  type: e.type,
  at: isoOf(e.at),
  actor: JSON.parse(e.actor),
  execution_id: e.execution_id,
  payload: JSON.parse(e.payload),
});

/**
 * The whole log as NDJSON, each line what `JSON.stringify` makes of the event `listEvents` gives
 * (the same keys in the same order), built from the stored JSON of its actor and payload rather
 * than parsed and written again (they were stored by `JSON.stringify`, which gives back the same
 * text); and its last seq (0: empty).
 */
export function logAsNdjson(sql: SqlStorage): { ndjson: string; last: number } {
  let ndjson = "";
  let last = 0;
  for (const e of sql.exec<RawEvent>("SELECT * FROM events ORDER BY seq")) {
    ndjson +=
      `{"seq":${e.seq},"type":${JSON.stringify(e.type)},"at":"${isoOf(e.at)}",` +
      `"actor":${e.actor},"execution_id":${e.execution_id},"payload":${e.payload}}\n`;
    last = e.seq;
  }
  return { ndjson, last };
}

export function listEvents(sql: SqlStorage, after: number, limit: number): RunEvent[] {
  return sql
    .exec<RawEvent>("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
    .toArray()
    .map(toEvent);
}

/** Entries of these types after `after`, in order (the platform events' outbox: platform-events.ts). */
export function listEventsOfTypes(
  sql: SqlStorage,
  after: number,
  types: string[],
  limit: number,
): RunEvent[] {
  return sql
    .exec<RawEvent>(
      `SELECT * FROM events WHERE seq > ? AND type IN (${types.map(() => "?").join(", ")})
       ORDER BY seq LIMIT ?`,
      after,
      ...types,
      limit,
    )
    .toArray()
    .map(toEvent);
}

export function lastSeq(sql: SqlStorage): number {
  return sql.exec<{ s: number }>("SELECT COALESCE(MAX(seq), 0) AS s FROM events").one().s;
}
