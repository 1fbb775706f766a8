import { type RunFollowupRequest, type RunState, TERMINAL_STATES } from "@ambit/protocol";
import { AppError } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { requireEditor } from "./sharing.ts";
import { dispatchRun } from "./dispatch.ts";
import { assertQueueRoom } from "./queue-room.ts";
import { runSession } from "./session.ts";

/** Sends a follow-up to a run (EDITOR access): to the live host, waking a BLOCKED run, or as a new execution. */
export async function followupRun({ ctx, runId, input }: { ctx: Ctx; runId: string; input: RunFollowupRequest }) {
  const { row } = await getRunInTeam(ctx, runId);
  requireEditor(ctx, row, "Sending follow-ups");
  // a follow-up to an ended run queues it again: it counts against the team's waiting runs like a new one
  if (TERMINAL_STATES.includes(row.state as RunState)) await assertQueueRoom(ctx);
  const result = await runSession(ctx.env, row.id).followup({ runId: row.id, teamId: ctx.teamId }, { type: ctx.actor.type, id: ctx.actor.id }, input);
  if (!result.ok) throw new AppError(result.code, result.message);
  // an ended run came back as a new execution: it needs a host again
  if (result.state === "QUEUED" && result.execution_id > 1) {
    await dispatchRun(ctx.env, { runId: row.id, teamId: ctx.teamId, workerHost: row.workerHost, executionId: result.execution_id, sessionOpen: true }, ctx.requestId);
  }
  return result;
}
