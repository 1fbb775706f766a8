import type { TeamBudget, UpdateTeamBudgetRequest } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import { teamLedger } from "../../../durable-objects/stubs.ts";
import { teams } from "../../db/schema.ts";
import { diffForAudit, noteAuditChanges } from "../../lib/audit-note.ts";
import { microsOf, THRESHOLDS, usd } from "../../lib/budgets.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { readTeamBudgets, type TeamBudgets } from "./caps.ts";
import { memberBudgetsOf, refreshLedgerBudgets } from "./member-budgets.ts";

const usdOrNull = (micros: number | null) => (micros === null ? null : usd(micros));

const settings = (b: TeamBudgets) => ({
  monthly_usd: usdOrNull(b.team),
  member_monthly_usd: usdOrNull(b.member),
  run_max_cost_usd: usdOrNull(b.runDefault),
});

/**
 * The team's budgets with this month's spend (the team's, and the caller's own runs'), each
 * member's against their budget (admins see everyone's, others their own), and when they reset;
 * any member may read them.
 */
export async function getTeamBudget({ ctx }: { ctx: Ctx }): Promise<TeamBudget> {
  const [budgets, status] = await Promise.all([
    readTeamBudgets(ctx.db, ctx.teamId),
    teamLedger(ctx.env, ctx.teamId).status(ctx.teamId, ctx.actor.id),
  ]);
  const members = await memberBudgetsOf(ctx, budgets, status);
  return {
    ...settings(budgets),
    period: { start: iso(status.periodStart), resets_at: iso(status.resetsAt) },
    spent: {
      team_usd: usd(status.team),
      member_usd: usd(status.member),
      reserved_usd: usd(status.held),
    },
    thresholds: [...THRESHOLDS],
    members,
  };
}

/**
 * Sets or removes (null) the team's monthly budget, each member's default, and the default cap of
 * a run (admin). New runs are checked against them at once, and running runs' next model call:
 * the team's ledger is told before this answers.
 */
export async function updateTeamBudget({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: UpdateTeamBudgetRequest;
}): Promise<TeamBudget> {
  requireRole(ctx, "admin", "Changing the team's budgets");
  const micros = (v: number | null) => (v === null ? null : microsOf(v));
  const set: Partial<typeof teams.$inferInsert> = {};
  if (input.monthly_usd !== undefined) set.budgetMonthly = micros(input.monthly_usd);
  if (input.member_monthly_usd !== undefined)
    set.memberBudgetMonthly = micros(input.member_monthly_usd);
  if (input.run_max_cost_usd !== undefined) set.runMaxCost = micros(input.run_max_cost_usd);
  const before = await readTeamBudgets(ctx.db, ctx.teamId);
  await ctx.db.update(teams).set(set).where(eq(teams.id, ctx.teamId));
  await refreshLedgerBudgets(ctx);
  const after = await getTeamBudget({ ctx });
  const { monthly_usd, member_monthly_usd, run_max_cost_usd } = after;
  noteAuditChanges(
    ctx,
    diffForAudit(settings(before), { monthly_usd, member_monthly_usd, run_max_cost_usd }),
  );
  return after;
}
