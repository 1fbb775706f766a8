import type { BudgetScope } from "@ambit/protocol";
import type { ScopeSpend } from "../../src/lib/budgets.ts";

// The ledger's own SQLite: what each scope spent in each period (a run's: `run`, for its whole
// life, with when it last spent), the holds of calls in flight, and the thresholds already
// announced. The team's budget amounts are a copy in the object's KV (`budgets`).

const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS spend (scope TEXT NOT NULL, key TEXT NOT NULL, period TEXT NOT NULL,
      micros INTEGER NOT NULL, PRIMARY KEY (scope, key, period))`,
    `CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, run TEXT NOT NULL, member TEXT NOT NULL,
      micros INTEGER NOT NULL, at INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS fired (scope TEXT NOT NULL, key TEXT NOT NULL, period TEXT NOT NULL,
      threshold INTEGER NOT NULL, PRIMARY KEY (scope, key, period, threshold))`,
  ],
  // when a scope last spent, so a run's rows can go once it ended and its month closed (prune.ts);
  // rows from before count as idle since ever
  [
    "ALTER TABLE spend ADD COLUMN at INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS spend_idle ON spend (scope, at)",
  ],
];

export function migrate(sql: SqlStorage, kv: SyncKvStorage) {
  // a ledger from before versioning has the first step's tables already (all IF NOT EXISTS)
  const version = kv.get<number>("schema_version") ?? 0;
  for (let v = version; v < MIGRATIONS.length; v++) {
    for (const stmt of MIGRATIONS[v]) sql.exec(stmt);
    kv.put("schema_version", v + 1);
  }
}

/** The row key of a scope: the team's and a member's per month, a run's for its life. */
export type ScopeKey = { scope: BudgetScope; key: string; period: string };

export const scopeKeys = (month: string, memberId: string, runId: string): ScopeKey[] => [
  { scope: "team", key: "", period: month },
  { scope: "member", key: memberId, period: month },
  { scope: "run", key: runId, period: "run" },
];

export function spentOf(sql: SqlStorage, k: ScopeKey): number {
  const [row] = sql
    .exec<{ micros: number }>(
      "SELECT micros FROM spend WHERE scope = ? AND key = ? AND period = ?",
      k.scope,
      k.key,
      k.period,
    )
    .toArray();
  return row?.micros ?? 0;
}

/** Whether a scope has a row this period (a run's: any spend or restore since it was pruned). */
export const hasSpendRow = (sql: SqlStorage, k: ScopeKey) =>
  sql
    .exec(
      "SELECT 1 FROM spend WHERE scope = ? AND key = ? AND period = ?",
      k.scope,
      k.key,
      k.period,
    )
    .toArray().length > 0;

export function addSpend(sql: SqlStorage, k: ScopeKey, micros: number, at = Date.now()) {
  sql.exec(
    `INSERT INTO spend (scope, key, period, micros, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (scope, key, period) DO UPDATE SET micros = micros + excluded.micros,
       at = MAX(at, excluded.at)`,
    k.scope,
    k.key,
    k.period,
    micros,
    at,
  );
}

/** This month's spend of every member who spent, micro-USD by member id. */
export function memberSpends(sql: SqlStorage, month: string): Record<string, number> {
  const rows = sql
    .exec<{ key: string; micros: number }>(
      "SELECT key, micros FROM spend WHERE scope = 'member' AND period = ?",
      month,
    )
    .toArray();
  return Object.fromEntries(rows.map((r) => [r.key, r.micros]));
}

/** Runs whose last spend was before `before` and that hold nothing now: candidates to prune. */
export const idleRuns = (sql: SqlStorage, before: number, limit: number) =>
  sql
    .exec<{ key: string }>(
      `SELECT key FROM spend WHERE scope = 'run' AND at < ?
         AND key NOT IN (SELECT run FROM holds) LIMIT ?`,
      before,
      limit,
    )
    .toArray()
    .map((r) => r.key);

/** Forgets runs' spend and announced thresholds (they ended; D1's model calls keep the record). */
export function dropRuns(sql: SqlStorage, runIds: string[]) {
  for (const id of runIds) {
    sql.exec("DELETE FROM spend WHERE scope = 'run' AND key = ?", id);
    sql.exec("DELETE FROM fired WHERE scope = 'run' AND key = ?", id);
  }
}

/** Rows the ledger keeps, by table: what its storage grows with. */
export const rowCounts = (sql: SqlStorage) =>
  sql
    .exec<{ spend: number; fired: number; holds: number }>(
      `SELECT (SELECT COUNT(*) FROM spend) AS spend, (SELECT COUNT(*) FROM fired) AS fired,
        (SELECT COUNT(*) FROM holds) AS holds`,
    )
    .one();

/** What the calls in flight hold: the team's all, a member's and a run's their own. */
export function heldOf(sql: SqlStorage, memberId: string, runId: string) {
  return sql
    .exec<{ team: number; member: number; run: number }>(
      `SELECT COALESCE(SUM(micros), 0) AS team,
        COALESCE(SUM(CASE WHEN member = ? THEN micros END), 0) AS member,
        COALESCE(SUM(CASE WHEN run = ? THEN micros END), 0) AS run FROM holds`,
      memberId,
      runId,
    )
    .one();
}

/** Spent and held by each scope of a call of `runId` by `memberId` in `month`. */
export function spendOf(
  sql: SqlStorage,
  month: string,
  memberId: string,
  runId: string,
): Record<BudgetScope, ScopeSpend> {
  const held = heldOf(sql, memberId, runId);
  const [team, member, run] = scopeKeys(month, memberId, runId).map((k) => spentOf(sql, k));
  return {
    team: { spent: team, held: held.team },
    member: { spent: member, held: held.member },
    run: { spent: run, held: held.run },
  };
}

export function addHold(
  sql: SqlStorage,
  h: { id: string; run: string; member: string; micros: number; at: number },
) {
  sql.exec(
    "INSERT INTO holds (id, run, member, micros, at) VALUES (?, ?, ?, ?, ?)",
    h.id,
    h.run,
    h.member,
    h.micros,
    h.at,
  );
}

export function dropHold(sql: SqlStorage, id: string) {
  sql.exec("DELETE FROM holds WHERE id = ?", id);
}

/** Drops holds older than `before`: a call whose Worker went away without settling. */
export function dropStaleHolds(sql: SqlStorage, before: number) {
  sql.exec("DELETE FROM holds WHERE at < ?", before);
}

/** Marks a threshold announced; false when it already was this period. */
export function markFired(sql: SqlStorage, k: ScopeKey, threshold: number): boolean {
  return (
    sql.exec(
      "INSERT OR IGNORE INTO fired (scope, key, period, threshold) VALUES (?, ?, ?, ?)",
      k.scope,
      k.key,
      k.period,
      threshold,
    ).rowsWritten > 0
  );
}

/**
 * Forgets the thresholds announced this period for a team's or members' budget whose amount
 * changed: a new amount is announced afresh at 80, 90 and 100 % of itself. `keys`: the members.
 */
export function forgetFired(sql: SqlStorage, scope: "team" | "member", keys: string[] = [""]) {
  for (const key of keys)
    sql.exec("DELETE FROM fired WHERE scope = ? AND key = ? AND period <> 'run'", scope, key);
}

/** Forgets the months before `month` (a run's spend stays: its cap does not reset). */
export function dropOldPeriods(sql: SqlStorage, month: string) {
  sql.exec("DELETE FROM spend WHERE period <> 'run' AND period < ?", month);
  sql.exec("DELETE FROM fired WHERE period <> 'run' AND period < ?", month);
}
