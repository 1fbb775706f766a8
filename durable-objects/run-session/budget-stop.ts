import { type EventActor, isTerminal, type RunStatusMessage } from "@ambit/protocol";
import { load } from "./open.ts";
import { notFound, type RunRef, type SessionResult } from "./results.ts";
import type { Session } from "./session.ts";

const BUDGET: EventActor = { type: "system", id: "budget" };

/**
 * The gateway refused a model call of execution `executionId` because a budget is spent: the run
 * is told to stop as at its deadline (its host gets `task_cancellation`), and however it then
 * ends (a confirmed stop, its agent failing on the refused call or finishing anyway, or a host
 * that never confirms) it ends FAILED with `status` (budget_exceeded). Once per execution.
 */
export async function budgetStop(
  s: Session,
  ref: RunRef,
  executionId: number,
  status: RunStatusMessage,
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (run.execution_id !== executionId || isTerminal(run.state) || run.stop_status) {
    return s.ok(run, run.summary_seq);
  }
  const payload = { state: run.state, reason: "budget_exceeded", message: status.message };
  const [e] = s.record(run, [{ type: "run.cancel_requested", actor: BUDGET, payload }], () => {
    run.timed_out_at ??= Date.now();
    run.stop_status = status;
  });
  await s.tellPool(run, (pool) => pool.cancel(run.id, status.message));
  await s.armTimers(); // a host that never confirms does not keep the run alive
  return s.ok(run, e.seq);
}
