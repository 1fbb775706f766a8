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

/** The run's last checkpoint (the session is loaded), or null. */
export const lastCheckpointOf = (s: Session) => s.ctx.storage.kv.get<CheckpointItem>(LAST) ?? null;

/** Why the run's current execution began, when it resumes the run from its host's loss. */
const RESUMED = "resumed_after_host_lost";

/** Notes that execution `executionId` began because the previous one's host was lost. */
export function noteResumedAfterHostLost(s: Session, executionId: number) {
  s.ctx.storage.kv.put(RESUMED, executionId);
}

/**
 * The run's last checkpoint (null when it has none) and why its current execution began from it:
 * its previous host was lost (`host_lost`), else a follow-up.
 */
export async function lastCheckpoint(
  s: Session,
  ref: RunRef,
): Promise<
  | { ok: true; checkpoint: CheckpointItem | null; reason: "followup" | "host_lost" }
  | ReturnType<typeof notFound>
> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  const kv = s.ctx.storage.kv;
  return {
    ok: true,
    checkpoint: lastCheckpointOf(s),
    reason: kv.get<number>(RESUMED) === run.execution_id ? "host_lost" : "followup",
  };
}
