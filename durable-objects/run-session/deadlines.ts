import { isTerminal, type RunStatusMessage } from "@ambit/protocol";
import type { RunRecord } from "./storage.ts";

// A run's timers, pure: the team's maximum run time (`deadline_at`, set when its host starts it),
// the grace a host has to confirm a stop (a cancel, or the stop its deadline asked for), and a
// LOCAL run's lease. `timers.ts` acts on them from the session's alarm, and from its pool's
// `watchDeadline` calls: the pool that holds a run watches its deadline (host-pool/holds.ts), so
// a run's life sets no alarm of its own unless it is stopped or its CLI holds a lease.

/** The timers a run may have, in the order they are checked. */
export type DueTimer =
  | "lease" // a LOCAL run's CLI stopped reporting
  | "timeout_unconfirmed" // told to stop at its deadline; the host never confirmed
  | "cancel_unconfirmed" // cancelled; the host never confirmed
  | "deadline"; // the run reached the team's maximum run time

/**
 * When the session's own alarm must next go off for an active run (null: never). Not for its
 * deadline: the pool holding the run asks about that (`deadlineCheckAt`).
 */
export function nextTimer(run: RunRecord, graceMs: number): number | null {
  if (isTerminal(run.state)) return null;
  const due = [
    run.timed_out_at === null ? null : run.timed_out_at + graceMs,
    run.cancel_requested_at === null ? null : run.cancel_requested_at + graceMs,
    run.lease_until,
  ].filter((t): t is number => t !== null);
  return due.length ? Math.min(...due) : null;
}

/**
 * When the pool holding a run should ask about its deadline again (`watchDeadline`): at the
 * deadline of a started run, else no sooner than a start now would make it. Null: nothing to
 * watch (no limit, the run ended, or it was already told to stop: its own alarm watches the grace).
 */
export function deadlineCheckAt(run: RunRecord, now: number): number | null {
  if (isTerminal(run.state) || run.timed_out_at !== null || !run.max_run_ms) return null;
  return run.deadline_at ?? now + run.max_run_ms;
}

/** The timer of the run due at `now`, if any: one at a time, the alarm re-arms for the next. */
export function dueTimer(run: RunRecord, now: number, graceMs: number): DueTimer | null {
  if (isTerminal(run.state)) return null;
  if (run.lease_until !== null && now >= run.lease_until) return "lease";
  if (run.timed_out_at !== null) {
    return now >= run.timed_out_at + graceMs ? "timeout_unconfirmed" : null;
  }
  if (run.cancel_requested_at !== null && now >= run.cancel_requested_at + graceMs) {
    return "cancel_unconfirmed";
  }
  return run.deadline_at !== null && now >= run.deadline_at ? "deadline" : null;
}

/** How a run told to stop ends: as its budget said (`stop_status`), else as its deadline does. */
export function stopStatus(run: Pick<RunRecord, "max_run_ms" | "stop_status">): RunStatusMessage {
  return run.stop_status ?? timeoutStatus(run);
}

/** How a run that passed the team's maximum run time ends. */
export function timeoutStatus(run: Pick<RunRecord, "max_run_ms">): RunStatusMessage {
  const limit = run.max_run_ms ?? 0;
  const human =
    limit % 3_600_000 === 0
      ? `${limit / 3_600_000} h`
      : limit % 60_000 === 0
        ? `${limit / 60_000} min`
        : `${Math.round(limit / 1000)} s`;
  return {
    message:
      "Stopped: the run passed the team's maximum run time of " +
      `${human}; an admin can raise limits.max_run_time_seconds with PATCH /api/v1/team`,
    error_code: "budget_exceeded",
    retryable: false,
  };
}
