import type { EventActor, RunEvent, RunState, RunStatusMessage } from "@ambit/protocol";

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
};

const SCHEMA_VERSION = 1;

/** Creates or upgrades the tables; call inside `blockConcurrencyWhile` from the constructor. */
export function migrate(sql: SqlStorage, kv: SyncKvStorage) {
  const version = (kv.get<number>("schema_version") ?? 0) as number;
  if (version >= SCHEMA_VERSION) return;
  sql.exec(`CREATE TABLE IF NOT EXISTS run (
    id TEXT PRIMARY KEY, team_id TEXT NOT NULL, state TEXT NOT NULL, status_message TEXT,
    cancel_requested_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    started_at INTEGER, ended_at INTEGER, summary_seq INTEGER NOT NULL DEFAULT 0, synced_seq INTEGER NOT NULL DEFAULT 0)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)`);
  kv.put("schema_version", SCHEMA_VERSION);
}

type RawRun = Omit<RunRecord, "status_message"> & { status_message: string | null };

export function readRun(sql: SqlStorage): RunRecord | null {
  const rows = sql.exec<RawRun>("SELECT * FROM run LIMIT 1").toArray();
  if (!rows.length) return null;
  const r = rows[0];
  return { ...r, status_message: r.status_message ? JSON.parse(r.status_message) : null };
}

export function insertRun(sql: SqlStorage, r: RunRecord) {
  sql.exec(
    `INSERT INTO run (id, team_id, state, status_message, cancel_requested_at, created_at, updated_at, started_at, ended_at, summary_seq, synced_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    r.id, r.team_id, r.state, r.status_message ? JSON.stringify(r.status_message) : null, r.cancel_requested_at,
    r.created_at, r.updated_at, r.started_at, r.ended_at, r.summary_seq, r.synced_seq,
  );
}

export function updateRun(sql: SqlStorage, r: RunRecord) {
  sql.exec(
    `UPDATE run SET state = ?, status_message = ?, cancel_requested_at = ?, updated_at = ?, started_at = ?, ended_at = ?,
     summary_seq = ?, synced_seq = ? WHERE id = ?`,
    r.state, r.status_message ? JSON.stringify(r.status_message) : null, r.cancel_requested_at, r.updated_at,
    r.started_at, r.ended_at, r.summary_seq, r.synced_seq, r.id,
  );
}

/** Appends an event with the next seq; the caller broadcasts only after this returns. */
export function appendEvent(sql: SqlStorage, e: { type: string; at: number; actor: EventActor; payload: object }): number {
  const { seq } = sql
    .exec<{ seq: number }>(
      "INSERT INTO events (seq, type, at, actor, payload) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?, ?, ?, ?) RETURNING seq",
      e.type, e.at, JSON.stringify(e.actor), JSON.stringify(e.payload),
    )
    .one();
  return seq;
}

export function listEvents(sql: SqlStorage, after: number, limit: number): RunEvent[] {
  return sql
    .exec<{ seq: number; type: string; at: number; actor: string; payload: string }>(
      "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
    .toArray()
    .map((e) => ({ seq: e.seq, type: e.type, at: new Date(e.at).toISOString(), actor: JSON.parse(e.actor), payload: JSON.parse(e.payload) }));
}
