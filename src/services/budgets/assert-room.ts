import { teamLedger } from "../../../durable-objects/stubs.ts";
import { capsOf, exhaustedDetails, exhaustedMessage } from "../../lib/budgets.ts";
import { AppError } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { readTeamBudgets, runCapOf, type TeamBudgets } from "./caps.ts";

/**
 * Refuses a new run, or a follow-up of `runId`, with 403 `budget_exceeded` when a budget it would
 * spend from is used up: the team's monthly budget, its owner's (`memberId`) monthly budget (their
 * own, else the team's per-member one), or (a follow-up) the run's own cap. Every way a run starts
 * (the API, schedules, integrations, follow-ups) passes here; a team without budgets pays one D1
 * read, no Durable Object call (none when the caller read `budgets` already, in a batch of its
 * own: createRun).
 */
export async function assertBudgetRoom(
  ctx: Ctx,
  o: { memberId: string; runId?: string; runMaxCostUsd?: unknown; budgets?: TeamBudgets },
): Promise<void> {
  const budgets = o.budgets ?? (await readTeamBudgets(ctx.db, ctx.teamId));
  const runCap = runCapOf(o.runMaxCostUsd);
  const caps = capsOf(budgets, o.memberId, runCap);
  // a new run has spent nothing of its own
  if (caps.team === null && caps.member === null && (!o.runId || caps.run === null)) return;
  const r = await teamLedger(ctx.env, ctx.teamId).standing({
    teamId: ctx.teamId,
    runId: o.runId ?? "",
    memberId: o.memberId,
    runCap,
  });
  if (r.ok) return;
  const what = o.runId ? "this follow-up cannot start the run again" : "no new run can start";
  throw new AppError("budget_exceeded", `${what}: ${exhaustedMessage(r)}`, exhaustedDetails(r));
}
