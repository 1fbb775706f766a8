import { isTerminal, type RunFollowupRequest, type RunState } from "@ambit/protocol";
import { AppError } from "../../lib/errors.ts";
import { type Ctx, ownPersonal } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { requireEditor } from "./sharing.ts";
import { assertQueueRoom } from "./queue-room.ts";
import { assertBudgetRoom } from "../budgets/assert-room.ts";
import { runSession } from "../../../durable-objects/stubs.ts";

/**
 * Whether the team and the run's owner have room for another turn of `row`: a follow-up to an
 * ended run queues it again, so it counts against the team's waiting runs like a new one, and
 * the run's model calls spend its owner's budget, and its own cap.
 */
export async function assertFollowupRoom(
  ctx: Ctx,
  row: { id: string; state: string; creatorId: string; agentConfig: unknown },
) {
  const config = (row.agentConfig ?? {}) as { max_cost_usd?: unknown };
  await Promise.all([
    isTerminal(row.state as RunState) ? assertQueueRoom(ctx) : undefined,
    assertBudgetRoom(ctx, {
      memberId: row.creatorId,
      runId: row.id,
      runMaxCostUsd: config.max_cost_usd,
    }),
  ]);
}

/** Sends a follow-up to a run (EDITOR access): to the live host, waking a BLOCKED run, or as a new execution. */
export async function followupRun({
  ctx,
  runId,
  input,
}: {
  ctx: Ctx;
  runId: string;
  input: RunFollowupRequest;
}) {
  const { row } = await getRunInTeam(ctx, runId);
  requireEditor(ctx, row, "Sending follow-ups");
  await assertFollowupRoom(ctx, row);
  // an ended run comes back as a new execution, which its session sends to the run's pool
  const result = await runSession(ctx.env, row.id).followup(
    { runId: row.id, teamId: ctx.teamId },
    { type: ctx.actor.type, id: ctx.actor.id },
    input,
    {
      delegated: ownPersonal(ctx) === undefined,
    },
  );
  if (!result.ok) throw new AppError(result.code, result.message);
  return result;
}
