import type { RunRecord } from "./storage.ts";

/**
 * Writes the run's summary to its D1 row so lists and filters never touch a Durable Object.
 * Guarded by `summary_seq`, so a late or repeated write can never move the row backwards.
 */
export async function writeSummary(db: D1Database, r: RunRecord): Promise<void> {
  await db
    .prepare(
      `UPDATE runs SET state = ?, status_message = ?, updated_at = ?, started_at = ?, ended_at = ?, summary_seq = ?
       WHERE id = ? AND team_id = ? AND summary_seq < ?`,
    )
    .bind(
      r.state,
      r.status_message ? JSON.stringify(r.status_message) : null,
      r.updated_at,
      r.started_at,
      r.ended_at,
      r.summary_seq,
      r.id,
      r.team_id,
      r.summary_seq,
    )
    .run();
}

/** The run's row as D1 has it, for a session whose Durable Object was never initialised. */
export async function readRunRow(db: D1Database, runId: string, teamId: string) {
  return db
    .prepare("SELECT id, team_id, state, status_message, prompt, worker_host, execution_location, created_at, updated_at, started_at, ended_at, summary_seq FROM runs WHERE id = ? AND team_id = ?")
    .bind(runId, teamId)
    .first<{ id: string; team_id: string; state: string; status_message: string | null; prompt: string; worker_host: string | null; execution_location: string; created_at: number; updated_at: number; started_at: number | null; ended_at: number | null; summary_seq: number }>();
}
