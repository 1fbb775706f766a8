import { eq } from "drizzle-orm";
import { type BudgetSettings, NO_BUDGETS } from "../lib/budgets.ts";
import type { Db } from "./client.ts";
import { memberBudgets, teams } from "./schema.ts";

/**
 * A team's budget amounts as D1 keeps them (the authority): its row's and its members' own. Read
 * by the API, by new runs' checks, and by the team's ledger (TeamLedger), which holds a copy.
 */
export async function readTeamBudgets(db: Db, teamId: string): Promise<BudgetSettings> {
  const [[row], own] = await db.batch([
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
  ]);
  if (!row) return NO_BUDGETS;
  return { ...row, members: Object.fromEntries(own.map((m) => [m.id, m.micros])) };
}
