import { and, count, eq, ne, sql } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { holdingSlot, runPool } from "../../src/db/runs.ts";
import { runs, teams } from "../../src/db/schema.ts";
import { statementOnce } from "../../src/db/statements.ts";
import type { Config } from "../../src/env.ts";
import { capLimits } from "../../src/lib/ceilings.ts";

/** A team's limits and how many of its runs hosts hold right now. */
export type TeamLoad = { maxConcurrentRuns: number; maxRunTimeSeconds: number; active: number };

/** The team's limits and the slots its other pools hold (`limitsAndElsewhere`). */
export type TeamLimitsRow = {
  max_concurrent_runs: number;
  max_run_time_seconds: number;
  elsewhere: number;
};

/**
 * The team's limits and the slots its other pools hold, read before each assignment (built once:
 * see statementOnce; in the assignment's D1 batch, assignment-reads.ts).
 */
export const limitsAndElsewhere = statementOnce<{ teamId: string; pool: string }>((db) =>
  db
    .select({
      max_concurrent_runs: teams.maxConcurrentRuns,
      max_run_time_seconds: teams.maxRunTimeSeconds,
      elsewhere: sql<number>`(${db
        .select({ n: count() })
        .from(runs)
        .where(
          and(holdingSlot(sql.placeholder("teamId")), ne(runPool, sql.placeholder("pool"))),
        )})`.as("elsewhere"),
    })
    .from(teams)
    .where(eq(teams.id, sql.placeholder("teamId"))),
);

/**
 * The team's load as one pool sees it: its own held runs exactly (`heldHere`, from its storage),
 * plus the runs other pools of the team hold, from D1. Two pools assigning at the same instant
 * can each see the other's newest run a moment late, so the limit may be passed by at most one
 * run per other pool of the team; it is never passed within a pool.
 */
export async function readTeamLoad(
  db: D1Database,
  teamId: string,
  pool: string,
  heldHere: number,
  config: Config,
): Promise<TeamLoad> {
  const row = await limitsAndElsewhere(createDb(db), { teamId, pool }).first<TeamLimitsRow>();
  return teamLoadOf(row, heldHere, config);
}

/** The team's load from its `limitsAndElsewhere` row and the runs this pool holds (`heldHere`). */
export function teamLoadOf(row: TeamLimitsRow | null, heldHere: number, config: Config): TeamLoad {
  // a team deleted under its pool: nothing to enforce
  if (!row)
    return { maxConcurrentRuns: Number.MAX_SAFE_INTEGER, maxRunTimeSeconds: 0, active: heldHere };
  // the team's own limits, capped by the operator's ceilings
  const limits = capLimits(
    { maxConcurrentRuns: row.max_concurrent_runs, maxRunTimeSeconds: row.max_run_time_seconds },
    config,
  );
  return { ...limits, active: row.elsewhere + heldHere };
}
