import type { CheckpointItem } from "@ambit/protocol";
import { load } from "./open.ts";
import { notFound, type RunRef, type SessionResult } from "./results.ts";
import type { Session } from "./session.ts";

/** Where the session keeps the run's last checkpoint (its own storage; the event log has them all). */
const LAST = "last_checkpoint";

/**
 * A checkpoint the platform stored for execution `executionId` (src/services/runs/checkpoints.ts):
 * a `checkpoint` event, and the run's last checkpoint, which its next execution starts from. One
 * of an execution that is no longer the run's current one is refused: a host that lost the run
 * must not move its starting point.
 */
export async function checkpointStored(
  s: Session,
  ref: RunRef,
  executionId: number,
  item: CheckpointItem,
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (run.execution_id !== executionId)
    return {
      ok: false,
      code: "invalid_request",
      message: `execution ${executionId} of run ${run.id} is no longer its current one (${run.execution_id}); its checkpoint was not kept`,
    };
  const actor = { type: "system" as const, id: "checkpoints" };
  const [e] = s.record(run, [{ type: "checkpoint", actor, payload: item }], () => {
    s.ctx.storage.kv.put(LAST, item);
  });
  return s.ok(run, e.seq);
}

/** The run's last checkpoint, or null when it has none. */
export async function lastCheckpoint(
  s: Session,
  ref: RunRef,
): Promise<{ ok: true; checkpoint: CheckpointItem | null } | ReturnType<typeof notFound>> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  return { ok: true, checkpoint: s.ctx.storage.kv.get<CheckpointItem>(LAST) ?? null };
}
