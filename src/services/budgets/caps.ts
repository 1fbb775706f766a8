import { budgetsOf, readTeamBudgets, teamBudgetsStatements } from "../../db/budgets.ts";
import { type BudgetCaps, type BudgetSettings, microsOf } from "../../lib/budgets.ts";

/** A team's budgets as D1 keeps them, micro-USD (null: none); the ledger holds a copy. */
export type TeamBudgets = BudgetSettings;

export { budgetsOf, readTeamBudgets, teamBudgetsStatements };

/** A run's own cap (`config.max_cost_usd`) in micro-USD; null when its config sets none. */
export const runCapOf = (runMaxCostUsd: unknown) =>
  typeof runMaxCostUsd === "number" ? microsOf(runMaxCostUsd) : null;

/**
 * The caps on a run's calls as `b` has them: the team's, its owner's default (the ledger applies
 * a member's own), and its own (`max_cost_usd`, else the team's default).
 */
export const capsFor = (b: TeamBudgets, runMaxCostUsd?: unknown): BudgetCaps => {
  const runOwn = runCapOf(runMaxCostUsd);
  return { team: b.team, member: b.member, run: runOwn ?? b.runDefault, runOwn };
};
