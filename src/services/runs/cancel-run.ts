import { AppError } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { requireEditor } from "./sharing.ts";
import { runSession } from "../../../durable-objects/stubs.ts";

/**
 * Cancels a run. One that no host holds yet ends `CANCELLED` at once; one a host holds is marked,
 * and ends when the host confirms (dispatch issue). A run that already ended is `invalid_request`.
 */
export async function cancelRun({ ctx, runId }: { ctx: Ctx; runId: string }): Promise<string> {
  const { row } = await getRunInTeam(ctx, runId);
  requireEditor(ctx, row, "Cancelling a run");
  const result = await runSession(ctx.env, row.id).cancel(
    { runId: row.id, teamId: ctx.teamId },
    { type: ctx.actor.type, id: ctx.actor.id },
  );
  if (!result.ok) throw new AppError(result.code, result.message);
  return row.id;
}
