import { HELD_STATES, poolOf } from "@ambit/protocol";
import type { Config } from "../../src/env.ts";
import { capLimits } from "../../src/lib/ceilings.ts";

/** A team's limits and how many of its runs hosts hold right now. */
export type TeamLoad = { maxConcurrentRuns: number; maxRunTimeSeconds: number; active: number };

/**
 * The team's load as one pool sees it: its own held runs exactly (`heldHere`, from its storage),
 * plus the runs other pools of the team hold, from D1. Two pools assigning at the same instant
 * can each see the other's newest run a moment late, so the limit may be passed by at most one
 * run per other pool of the team; it is never passed within a pool.
 */
export async function readTeamLoad(db: D1Database, teamId: string, pool: string, heldHere: number, config: Config): Promise<TeamLoad> {
  const otherPools = pool === poolOf(null) ? "worker_host IS NOT NULL AND worker_host != ?" : "(worker_host IS NULL OR worker_host != ?)";
  const row = await db
    .prepare(
      `SELECT t.max_concurrent_runs AS max_concurrent_runs, t.max_run_time_seconds AS max_run_time_seconds,
        (SELECT count(*) FROM runs r WHERE r.team_id = t.id AND r.state IN (${HELD_STATES.map(() => "?").join(", ")}) AND r.execution_location = 'REMOTE' AND ${otherPools.replaceAll("worker_host", "r.worker_host")}) AS elsewhere
       FROM teams t WHERE t.id = ?`,
    )
    .bind(...HELD_STATES, pool, teamId)
    .first<{ max_concurrent_runs: number; max_run_time_seconds: number; elsewhere: number }>();
  // a team deleted under its pool: nothing to enforce
  if (!row) return { maxConcurrentRuns: Number.MAX_SAFE_INTEGER, maxRunTimeSeconds: 0, active: heldHere };
  // the team's own limits, capped by the operator's ceilings
  const limits = capLimits({ maxConcurrentRuns: row.max_concurrent_runs, maxRunTimeSeconds: row.max_run_time_seconds }, config);
  return { ...limits, active: row.elsewhere + heldHere };
}
