import { eq, sql } from "drizzle-orm";
import { type BudgetSettings, NO_BUDGETS } from "../lib/budgets.ts";
import type { Db } from "./client.ts";
import { memberBudgets, teams } from "./schema.ts";
import { statementOnce } from "./statements.ts";

type TeamRow = { team: number | null; member: number | null; runDefault: number | null };
type OwnRow = { id: string; micros: number | null };

const teamRow = statementOnce<{ teamId: string }>((db) =>
  db
    .select({
      team: sql`${teams.budgetMonthly}`.as("team"),
      member: sql`${teams.memberBudgetMonthly}`.as("member"),
      runDefault: sql`${teams.runMaxCost}`.as("runDefault"),
    })
    .from(teams)
    .where(eq(teams.id, sql.placeholder("teamId")))
    .limit(1),
);
const ownRows = statementOnce<{ teamId: string }>((db) =>
  db
    .select({
      id: sql`${memberBudgets.memberId}`.as("id"),
      micros: sql`${memberBudgets.budgetMonthly}`.as("micros"),
    })
    .from(memberBudgets)
    .where(eq(memberBudgets.teamId, sql.placeholder("teamId"))),
);

/**
 * The two statements of a team's budget amounts (its row's, its members' own), built once, for a
 * D1 batch that reads them with others (createRun); `budgetsOf` makes their results one
 * `BudgetSettings`.
 */
export const teamBudgetsStatements = (db: Db, teamId: string) =>
  [teamRow(db, { teamId }), ownRows(db, { teamId })] as const;

export function budgetsOf([team, own]: D1Result[]): BudgetSettings {
  const row = (team.results as TeamRow[])[0];
  if (!row) return NO_BUDGETS;
  const members = Object.fromEntries((own.results as OwnRow[]).map((m) => [m.id, m.micros]));
  return { ...row, members };
}

/**
 * A team's budget amounts as D1 keeps them (the authority): its row's and its members' own. Read
 * by the API, by new runs' checks, and by the team's ledger (TeamLedger), which holds a copy.
 */
export async function readTeamBudgets(db: Db, teamId: string): Promise<BudgetSettings> {
  return budgetsOf(await db.$client.batch([...teamBudgetsStatements(db, teamId)]));
}
