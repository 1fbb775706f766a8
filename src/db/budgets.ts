import { eq } from "drizzle-orm";
import { type BudgetSettings, NO_BUDGETS } from "../lib/budgets.ts";
import type { Db } from "./client.ts";
import { memberBudgets, teams } from "./schema.ts";

/**
 * The two queries of a team's budget amounts (its row's, its members' own), for a D1 batch that
 * reads them with others (createRun); `budgetsOf` makes their rows one `BudgetSettings`.
 */
export const teamBudgetsQueries = (db: Db, teamId: string) =>
  [
    db
      .select({
        team: teams.budgetMonthly,
        member: teams.memberBudgetMonthly,
        runDefault: teams.runMaxCost,
      })
      .from(teams)
      .where(eq(teams.id, teamId))
      .limit(1),
    db
      .select({ id: memberBudgets.memberId, micros: memberBudgets.budgetMonthly })
      .from(memberBudgets)
      .where(eq(memberBudgets.teamId, teamId)),
  ] as const;

type Rows<Q> = Q extends PromiseLike<infer R> ? R : never;
type BudgetRows = readonly [
  Rows<ReturnType<typeof teamBudgetsQueries>[0]>,
  Rows<ReturnType<typeof teamBudgetsQueries>[1]>,
];

export function budgetsOf([[row], own]: BudgetRows): BudgetSettings {
  if (!row) return NO_BUDGETS;
  return { ...row, members: Object.fromEntries(own.map((m) => [m.id, m.micros])) };
}

/**
 * A team's budget amounts as D1 keeps them (the authority): its row's and its members' own. Read
 * by the API, by new runs' checks, and by the team's ledger (TeamLedger), which holds a copy.
 */
export async function readTeamBudgets(db: Db, teamId: string): Promise<BudgetSettings> {
  return budgetsOf(await db.batch(teamBudgetsQueries(db, teamId)));
}
