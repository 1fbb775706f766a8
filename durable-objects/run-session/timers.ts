import { type EventActor, isTerminal, LOCAL_POOL } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { deadlineCheckAt, dueTimer, stopStatus } from "./deadlines.ts";
import { load } from "./open.ts";
import { type DeadlineWatch, type LeaseResult, notFound, type RunRef } from "./results.ts";
import { emitRecorded } from "./platform-events.ts";
import type { Session } from "./session.ts";
import { type RunRecord, updateRun } from "./storage.ts";
import { apply } from "./transitions.ts";

// The session's alarm: retries of a failed summary write-back, platform events or archive, and
// the run's timers (deadlines.ts): hosts that never confirm a stop, a LOCAL run's lease. The
// team's maximum run time is watched by the pool that holds the run, which asks here
// (`watchDeadline`) when it may have passed.

const LIMITS: EventActor = { type: "system", id: "limits" };

/**
 * Retries a summary write-back or transcript archive that did not go through, and fires the
 * run's timers.
 */
export async function alarm(s: Session) {
  s.alarmFired();
  await s.syncSummary();
  await emitRecorded(s);
  await s.archive();
  await fireTimers(s);
  await s.armTimers();
}

/**
 * A run past its deadline is told to stop (its host gets `task_cancellation`) and ends FAILED
 * with `budget_exceeded` when the host confirms. A stop or cancel the host does not confirm
 * within the grace ends the run anyway, and the pool frees the host's slot. A LOCAL run whose
 * lease lapsed ends ERROR (CANCELLED if a cancel was pending).
 */
async function fireTimers(s: Session) {
  const run = s.run;
  if (!run) return;
  const now = Date.now();
  const config = getConfig(s.env);
  const grace = config.CANCEL_GRACE_MS;
  const seconds = Math.round(grace / 1000);
  const unconfirmed = `the host did not confirm within ${seconds} s that it stopped`;
  switch (dueTimer(run, now, grace)) {
    case "lease": {
      const silent = Math.round(config.LOCAL_RUN_LEASE_MS / 1000);
      await apply(s, run, run.cancel_requested_at !== null ? "cancel" : "error", LIMITS, {
        message:
          `The CLI running this LOCAL run stopped reporting for ${silent} s (its machine went ` +
          "offline, or the process was killed); the run was ended. Its events up to then are kept",
        error_code: "resource_unavailable",
        retryable: true,
      });
      return;
    }
    case "timeout_unconfirmed": {
      const status = stopStatus(run);
      const message = `${status.message} (${unconfirmed})`;
      await apply(s, run, "fail", LIMITS, { ...status, message });
      await s.tellPool(run, (pool) => pool.release(run.id));
      return;
    }
    case "cancel_unconfirmed": {
      const message = `Cancelled: ${unconfirmed}; it was told to stop`;
      await apply(s, run, "cancel", LIMITS, { message });
      await s.tellPool(run, (pool) => pool.release(run.id));
      return;
    }
    case "deadline": {
      const payload = { state: run.state };
      s.record(run, [{ type: "run.cancel_requested", actor: LIMITS, payload }], () => {
        run.timed_out_at = now;
      });
      await s.tellPool(run, (pool) => pool.cancel(run.id, stopStatus(run).message));
      return;
    }
  }
}

/**
 * The run's pool asks whether its deadline passed (host-pool/holds.ts `watchDeadlines`): a timer
 * due now fires, as from the alarm, and the answer says when to ask again.
 */
export async function watchDeadline(s: Session, ref: RunRef): Promise<DeadlineWatch> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  await fireTimers(s);
  await s.armTimers();
  return { ok: true, next: deadlineCheckAt(run, Date.now()) };
}

/**
 * Renews a LOCAL run's lease (its CLI reported) and says whether it must stop. The lease is what
 * keeps a run whose machine went away from staying active: see fireTimers.
 */
export async function lease(s: Session, ref: RunRef): Promise<LeaseResult> {
  const run = await load(s, ref);
  if (!run || run.pool !== LOCAL_POOL) return notFound(ref);
  const leaseMs = await renewLease(s, run);
  return {
    ok: true,
    state: run.state,
    execution_id: run.execution_id,
    // a budget's stop too: a LOCAL run's CLI has no pool to tell it
    cancel_requested: run.cancel_requested_at !== null || run.stop_status !== null,
    lease_ms: leaseMs,
  };
}

/** Moves an active LOCAL run's lease to a full lease from now; answers the lease's length. */
export async function renewLease(s: Session, run: RunRecord): Promise<number> {
  const leaseMs = getConfig(s.env).LOCAL_RUN_LEASE_MS;
  if (!isTerminal(run.state)) {
    run.lease_until = Date.now() + leaseMs;
    updateRun(s.sql, run);
    await s.armTimers();
  }
  return leaseMs;
}
