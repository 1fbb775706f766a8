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

/** The run's row as D1 has it, for a session whose Durable Object was never initialised. */
export async function readRunRow(db: D1Database, runId: string, teamId: string) {
  return db
    .prepare("SELECT id, team_id, state, status_message, prompt, worker_host, execution_location, created_at, updated_at, started_at, ended_at, summary_seq FROM runs WHERE id = ? AND team_id = ?")
    .bind(runId, teamId)
    .first<{ id: string; team_id: string; state: string; status_message: string | null; prompt: string; worker_host: string | null; execution_location: string; created_at: number; updated_at: number; started_at: number | null; ended_at: number | null; summary_seq: number }>();
}
