/** The pool's durable state: runs waiting in line, and runs held by a host connection. */
export type LineEntry = {
  run_id: string;
  team_id: string;
  execution_id: number;
  enqueued_at: number;
  attempts: number;
  /** the waiting message the run's session last accepted for this stay in line (null: none yet) */
  told?: string | null;
  /** tries to give it to a host that failed (threw or timed out) since it was last given one */
  give_failures?: number;
  /** when the first of those failed (null: none did): its retry window starts then */
  failing_since?: number | null;
  /** not picked before this time (null: now), after a failed try */
  retry_at?: number | null;
  /** 1: its session may hold a `dispatch` the pool did not follow through: `requeue` it first */
  handback?: number;
};
export type HeldEntry = {
  run_id: string;
  team_id: string;
  execution_id: number;
  conn: string;
  worker_id: string;
  assigned_at: number;
  claimed: number;
  /** when the holding connection went away (null while it is connected) */
  lost_at: number | null;
  attempts: number;
  /** who connected the holding connection (`container:<run>` for a runner container; null: held before this was recorded) */
  principal?: string | null;
  /**
   * when to ask the run's session whether it passed the team's maximum run time (null: never):
   * given with the limit, then as the session answers (holds.ts `watchDeadlines`)
   */
  due_at?: number | null;
};

const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS line (run_id TEXT PRIMARY KEY, team_id TEXT NOT NULL, execution_id INTEGER NOT NULL,
      enqueued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`,
    `CREATE TABLE IF NOT EXISTS held (run_id TEXT PRIMARY KEY, team_id TEXT NOT NULL, execution_id INTEGER NOT NULL, conn TEXT NOT NULL,
      worker_id TEXT NOT NULL, assigned_at INTEGER NOT NULL, claimed INTEGER NOT NULL DEFAULT 0, lost_at INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0)`,
    "CREATE INDEX IF NOT EXISTS held_conn ON held (conn)",
  ],
  // runner containers started for waiting runs (PLATFORM_HOSTS=containers): at most one per run in line
  [
    `CREATE TABLE IF NOT EXISTS containers (run_id TEXT PRIMARY KEY, started_at INTEGER NOT NULL,
      starts INTEGER NOT NULL DEFAULT 1, stopped INTEGER NOT NULL DEFAULT 0)`,
  ],
  // what each waiting run was told (line-status.ts), and the line's order as an index
  [
    "ALTER TABLE line ADD COLUMN told TEXT",
    "CREATE INDEX IF NOT EXISTS line_order ON line (enqueued_at, run_id)",
  ],
  // the runs waiting here whose RunSession exists (see sessionOpen); the others' messages go to D1
  ["CREATE TABLE IF NOT EXISTS sessions (run_id TEXT PRIMARY KEY, at INTEGER NOT NULL)"],
  // who holds a run: a runner container's credential reconnects only to the run its container holds
  ["ALTER TABLE held ADD COLUMN principal TEXT"],
  // a run whose giving failed waits its turn to be tried again, and owes its session a hand-back
  [
    "ALTER TABLE line ADD COLUMN give_failures INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE line ADD COLUMN failing_since INTEGER",
    "ALTER TABLE line ADD COLUMN retry_at INTEGER",
    "ALTER TABLE line ADD COLUMN handback INTEGER NOT NULL DEFAULT 0",
  ],
  // the pool watches its runs' deadlines (their sessions set no alarm for them): a run held
  // before is asked at once, and its session answers when to ask again
  ["ALTER TABLE held ADD COLUMN due_at INTEGER", "UPDATE held SET due_at = assigned_at"],
];

export function migrate(sql: SqlStorage, kv: SyncKvStorage) {
  const version = (kv.get<number>("schema_version") ?? 0) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    for (const stmt of MIGRATIONS[v]) sql.exec(stmt);
    kv.put("schema_version", v + 1);
  }
}

export const lineAll = (sql: SqlStorage) =>
  sql.exec<LineEntry>("SELECT * FROM line ORDER BY enqueued_at, run_id").toArray();
/** The first run in line that may be tried now (a run whose last try failed waits its `retry_at`). */
export const lineFirst = (sql: SqlStorage, now = Date.now()) =>
  sql
    .exec<LineEntry>(
      `SELECT * FROM line WHERE retry_at IS NULL OR retry_at <= ?
       ORDER BY enqueued_at, run_id LIMIT 1`,
      now,
    )
    .toArray()[0] ?? null;
export const lineGet = (sql: SqlStorage, runId: string) =>
  sql.exec<LineEntry>("SELECT * FROM line WHERE run_id = ?", runId).toArray()[0] ?? null;

/**
 * The `held` table as this instance knows it: read whole once, then kept by the four writers
 * below (`hold`, `markClaimed`, `setDue`, `dropHeld`), the only ones of the table. Every host
 * report reads its run's hold and every pump reads them all: served from memory, a run's life
 * makes no read of the table. The table stays the authority (a new instance reads it again); a write that throws
 * changes nothing here.
 */
const heldCache = new WeakMap<SqlStorage, Map<string, HeldEntry>>();
function heldRows(sql: SqlStorage): Map<string, HeldEntry> {
  let rows = heldCache.get(sql);
  if (!rows) {
    const all = sql.exec<HeldEntry>("SELECT * FROM held").toArray();
    heldCache.set(sql, (rows = new Map(all.map((h) => [h.run_id, h]))));
  }
  return rows;
}
/** A copy: a caller changing it does not change what is held. */
const copy = (h: HeldEntry | undefined) => (h ? { ...h } : null);

export const heldGet = (sql: SqlStorage, runId: string) => copy(heldRows(sql).get(runId));
/** Which of `runIds` this pool has: waiting in its line or held by a connection. */
export const lineOrHeld = (sql: SqlStorage, runIds: string[]) =>
  sql
    .exec<{ run_id: string }>(
      `SELECT run_id FROM line WHERE run_id IN (SELECT value FROM json_each(?))
       UNION SELECT run_id FROM held WHERE run_id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(runIds),
      JSON.stringify(runIds),
    )
    .toArray()
    .map((r) => r.run_id);
export const heldAll = (sql: SqlStorage): HeldEntry[] =>
  [...heldRows(sql).values()].map((h) => ({ ...h }));
export const heldByConn = (sql: SqlStorage, conn: string) =>
  heldAll(sql).filter((h) => h.conn === conn);

export function enqueue(sql: SqlStorage, e: LineEntry) {
  sql.exec(
    `INSERT OR IGNORE INTO line (run_id, team_id, execution_id, enqueued_at, attempts, retry_at, handback)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    e.run_id,
    e.team_id,
    e.execution_id,
    e.enqueued_at,
    e.attempts,
    e.retry_at ?? null,
    e.handback ?? 0,
  );
}

/** The first `n` runs in line, each with whether a runner container was started for it. */
export const lineHead = (sql: SqlStorage, n: number) =>
  sql
    .exec<LineEntry & { container: number }>(
      `SELECT l.*, EXISTS (SELECT 1 FROM containers c WHERE c.run_id = l.run_id) AS container FROM line l ORDER BY l.enqueued_at, l.run_id LIMIT ?`,
      n,
    )
    .toArray();

/** The runs behind the first `skip` whose last message is not the one runs back there are told now (`plain`, or `container`). */
export const lineBehindStale = (
  sql: SqlStorage,
  skip: number,
  messages: { plain: string; container: string },
) =>
  sql
    .exec<{ run_id: string }>(
      `SELECT run_id FROM (
         SELECT l.run_id, l.told, EXISTS (SELECT 1 FROM containers c WHERE c.run_id = l.run_id) AS container
         FROM line l ORDER BY l.enqueued_at, l.run_id LIMIT -1 OFFSET ?)
       WHERE told IS NOT (CASE WHEN container THEN ? ELSE ? END)`,
      skip,
      messages.container,
      messages.plain,
    )
    .toArray()
    .map((r) => r.run_id);

/** Whether any run in line comes after `e` (false: `e` is the last). */
export const lineHasAfter = (sql: SqlStorage, e: LineEntry) =>
  sql
    .exec(
      "SELECT 1 FROM line WHERE enqueued_at > ? OR (enqueued_at = ? AND run_id > ?) LIMIT 1",
      e.enqueued_at,
      e.enqueued_at,
      e.run_id,
    )
    .toArray().length > 0;

/** A run's 1-based position in line, counted no further than `cap`. */
export const linePosition = (sql: SqlStorage, e: LineEntry, cap: number) =>
  1 +
  sql
    .exec<{ n: number }>(
      "SELECT count(*) AS n FROM (SELECT 1 FROM line WHERE enqueued_at < ? OR (enqueued_at = ? AND run_id < ?) LIMIT ?)",
      e.enqueued_at,
      e.enqueued_at,
      e.run_id,
      cap - 1,
    )
    .one().n;

/** Records what a run's session accepted, for the same stay in line only (not a later requeue or execution of the run). */
export const setTold = (sql: SqlStorage, e: LineEntry, message: string) =>
  sql.exec(
    "UPDATE line SET told = ? WHERE run_id = ? AND execution_id = ? AND attempts = ?",
    message,
    e.run_id,
    e.execution_id,
    e.attempts,
  );

/** Takes a run out of line, if it is still the same stay (see setTold). */
export function dropStay(sql: SqlStorage, e: LineEntry) {
  if (
    sql.exec(
      "DELETE FROM line WHERE run_id = ? AND execution_id = ? AND attempts = ?",
      e.run_id,
      e.execution_id,
      e.attempts,
    ).rowsWritten
  ) {
    sql.exec("DELETE FROM sessions WHERE run_id = ?", e.run_id);
  }
}

/**
 * A run's `RunSession` is created on the run's first use, not with the run (see RunSession.load):
 * until it exists, why the run waits is written to its D1 row alone. These record the runs whose
 * session is known to exist (it asked to be told, or the pool or a follow-up made it), which are
 * told through it instead. A row lives while its run is in line (or about to be offered: see
 * pruneSessions).
 */
export const markSession = (sql: SqlStorage, runId: string, at = Date.now()) =>
  sql.exec("INSERT OR REPLACE INTO sessions (run_id, at) VALUES (?, ?)", runId, at);
/** A session that asked to be told about a run that never came into line is forgotten after this. */
export const SESSION_MARK_TTL_MS = 3_600_000;
/** Forgets the sessions marked before `before` whose run never came into line (its offer was lost). */
export const pruneSessions = (sql: SqlStorage, before: number) =>
  sql.exec("DELETE FROM sessions WHERE at < ? AND run_id NOT IN (SELECT run_id FROM line)", before);
export const sessionOpen = (sql: SqlStorage, runId: string) =>
  sql.exec("SELECT 1 FROM sessions WHERE run_id = ?", runId).toArray().length > 0;

export function hold(sql: SqlStorage, h: HeldEntry) {
  dropLine(sql, h.run_id);
  const rows = heldRows(sql);
  sql.exec(
    `INSERT OR REPLACE INTO held (run_id, team_id, execution_id, conn, worker_id, assigned_at, claimed, lost_at, attempts, principal, due_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    h.run_id,
    h.team_id,
    h.execution_id,
    h.conn,
    h.worker_id,
    h.assigned_at,
    h.claimed,
    h.lost_at,
    h.attempts,
    h.principal ?? null,
    h.due_at ?? null,
  );
  // last, as REPLACE leaves it in the table's own order
  rows.delete(h.run_id);
  rows.set(h.run_id, { ...h, principal: h.principal ?? null, due_at: h.due_at ?? null });
}

/** When to ask a held run's session about its deadline next (null: never). */
export function setDue(sql: SqlStorage, runId: string, dueAt: number | null) {
  const rows = heldRows(sql);
  sql.exec("UPDATE held SET due_at = ? WHERE run_id = ?", dueAt, runId);
  const h = rows.get(runId);
  if (h) h.due_at = dueAt;
}

/** Its host claimed a held run (one UPDATE: `hold` would also take it out of line again). */
export function markClaimed(sql: SqlStorage, runId: string) {
  const rows = heldRows(sql);
  sql.exec("UPDATE held SET claimed = 1 WHERE run_id = ?", runId);
  const h = rows.get(runId);
  if (h) h.claimed = 1;
}

/**
 * A try to give a run that stays in line (its place kept) failed: counted, not tried again before
 * `retryAt`, and its session is `requeue`d before the next `dispatch` (it may hold this one).
 */
export const giveFailed = (sql: SqlStorage, e: LineEntry, now: number, retryAt: number) =>
  sql.exec(
    `UPDATE line SET give_failures = give_failures + 1, failing_since = coalesce(failing_since, ?),
       retry_at = ?, handback = 1
     WHERE run_id = ? AND execution_id = ? AND attempts = ?`,
    now,
    retryAt,
    e.run_id,
    e.execution_id,
    e.attempts,
  );
/**
 * A run's session took its hand-back: none is owed now. A run whose tries have not failed may be
 * picked at once; one whose did still waits its retry time.
 */
export const handedBack = (sql: SqlStorage, e: LineEntry) =>
  sql.exec(
    `UPDATE line SET handback = 0, retry_at = CASE WHEN give_failures = 0 THEN NULL ELSE retry_at END
     WHERE run_id = ? AND execution_id = ? AND attempts = ?`,
    e.run_id,
    e.execution_id,
    e.attempts,
  );

export function dropLine(sql: SqlStorage, runId: string) {
  sql.exec("DELETE FROM line WHERE run_id = ?", runId);
  sql.exec("DELETE FROM sessions WHERE run_id = ?", runId);
}
export function dropHeld(sql: SqlStorage, runId: string) {
  const rows = heldRows(sql);
  sql.exec("DELETE FROM held WHERE run_id = ?", runId);
  rows.delete(runId);
}

/** Forgets the containers of runs no longer in line (assigned, cancelled or ended). */
export const pruneContainers = (sql: SqlStorage) =>
  sql.exec("DELETE FROM containers WHERE run_id NOT IN (SELECT run_id FROM line)");
/** Records a container for a run; false when the run already has one that has not stopped. */
export const claimContainer = (sql: SqlStorage, runId: string) =>
  sql.exec(
    `INSERT INTO containers (run_id, started_at, starts, stopped) VALUES (?, ?, 1, 0)
     ON CONFLICT (run_id) DO UPDATE SET starts = starts + 1, stopped = 0, started_at = excluded.started_at WHERE stopped = 1`,
    runId,
    Date.now(),
  ).rowsWritten > 0;
/** A run's container stopped while the run still waits: the next start call starts another. */
export const containerStopped = (sql: SqlStorage, runId: string) =>
  sql
    .exec<{ starts: number }>(
      "UPDATE containers SET stopped = 1 WHERE run_id = ? RETURNING starts",
      runId,
    )
    .toArray()[0]?.starts ?? null;
export const dropContainer = (sql: SqlStorage, runId: string) =>
  sql.exec("DELETE FROM containers WHERE run_id = ?", runId);
/** The runs in line whose container is starting or running (not stopped). */
export const liveContainers = (sql: SqlStorage) =>
  new Set(
    sql
      .exec<{ run_id: string }>("SELECT run_id FROM containers WHERE stopped = 0")
      .toArray()
      .map((r) => r.run_id),
  );
export const hasContainer = (sql: SqlStorage, runId: string) =>
  sql.exec("SELECT 1 FROM containers WHERE run_id = ?", runId).toArray().length > 0;

/** Sets the object's alarm to `at` unless it is due sooner already. */
export async function scheduleAlarm(storage: DurableObjectStorage, at: number) {
  const current = await storage.getAlarm();
  if (current === null || current > at) await storage.setAlarm(at);
}
