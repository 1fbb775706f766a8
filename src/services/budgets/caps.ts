import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { teams } from "../../db/schema.ts";
import { type BudgetCaps, microsOf } from "../../lib/budgets.ts";

/** A team's budgets as D1 keeps them, micro-USD (null: none). */
export type TeamBudgets = { team: number | null; member: number | null; runDefault: number | null };

export const NO_BUDGETS: TeamBudgets = { team: null, member: null, runDefault: null };

export async function readTeamBudgets(db: Db, teamId: string): Promise<TeamBudgets> {
  const [row] = await teamBudgetsQuery(db, teamId);
  return row ?? NO_BUDGETS;
}

/** The query of `readTeamBudgets`, for a D1 batch that reads it with others. */
export const teamBudgetsQuery = (db: Db, teamId: string) =>
  db
    .select({
      team: teams.budgetMonthly,
      member: teams.memberBudgetMonthly,
      runDefault: teams.runMaxCost,
    })
    .from(teams)
    .where(eq(teams.id, teamId))
    .limit(1);

/** The caps on a run's calls: the team's, its owner's, and its own (`max_cost_usd`, else the team's default). */
export const capsFor = (b: TeamBudgets, runMaxCostUsd?: number | null): BudgetCaps => ({
  team: b.team,
  member: b.member,
  run: typeof runMaxCostUsd === "number" ? microsOf(runMaxCostUsd) : b.runDefault,
});

export const hasCaps = (c: BudgetCaps) => c.team !== null || c.member !== null || c.run !== null;
