import type { HostMessage, RunStatusMessage } from "@ambit/protocol";
import { stopStatus } from "./deadlines.ts";
import { type RunCommand, transition, type TransitionResult } from "./state-machine.ts";
import type { RunRecord } from "./storage.ts";
import type { Step } from "./transitions.ts";

/**
 * What a run's holder reports about it once it has claimed it (a host over its pool socket, or a
 * LOCAL run's CLI). A hosted run and a LOCAL one move through the same states for the same
 * reports.
 */
export type HostReport = Extract<
  HostMessage,
  { type: "task_started" | "task_blocked" | "task_unblocked" | "task_completed" | "task_failed" }
>;

/**
 * Pure: the changes of state one report makes, in order (none for a report that changes nothing:
 * a resend, a start or block a follow-up already overtook, anything after the run ended). A final
 * report always ends an active run: a success without `task_started` starts the run first, and a
 * refused success or failure ends it ERROR. A cancel confirmed after the run passed its deadline
 * ends it FAILED (`budget_exceeded`), as the `command` RPC does; so does any final report of a run
 * a budget stopped (its agent's model call was refused: it may fail, or finish with what it had).
 */
export function planReport(
  run: Pick<RunRecord, "state" | "timed_out_at" | "max_run_ms" | "stop_status">,
  msg: HostReport,
): Step[] {
  const steps: Step[] = [];
  let state = run.state;
  const attempt = (command: RunCommand, status: RunStatusMessage | null): TransitionResult => {
    if (command === "cancel" && run.timed_out_at !== null) {
      [command, status] = ["fail", stopStatus(run)];
    }
    // a run a budget stopped ends FAILED however its agent took the refused model call
    if ((command === "fail" || command === "succeed") && run.stop_status) {
      [command, status] = ["fail", run.stop_status];
    }
    const t = transition(state, command);
    if (t.ok) {
      steps.push({ command, from: t.from, to: t.to, status });
      state = t.to;
    }
    return t;
  };
  switch (msg.type) {
    case "task_started":
      attempt("start", null);
      break;
    case "task_blocked":
      attempt("block", { message: `Waiting for a person: ${msg.data.question}` });
      break;
    case "task_unblocked":
      attempt("unblock", null);
      break;
    case "task_completed": {
      const cancelled = msg.data.task_state === "CANCELLED";
      const fallback = cancelled ? "Cancelled on the host" : "Succeeded";
      const status = { message: msg.data.message || fallback };
      const done = attempt(cancelled ? "cancel" : "succeed", status);
      // a host may finish without ever saying task_started; a run must not stay CLAIMED
      if (done.ok || cancelled) break;
      attempt("start", null);
      const again = attempt("succeed", status);
      // no host id in the message: a run's status is public on its link, and a LOCAL run's
      // host id names its creator
      if (!again.ok) {
        const message = `The host reported success, but ${again.reason}`;
        attempt("error", { message, error_code: "internal_error" });
      }
      break;
    }
    case "task_failed": {
      const d = msg.data;
      const command =
        d.task_state === "CANCELLED" ? "cancel" : d.task_state === "ERROR" ? "error" : "fail";
      const status: RunStatusMessage = {
        message: d.message,
        ...(d.error_code ? { error_code: d.error_code } : {}),
        ...(d.retryable !== undefined ? { retryable: d.retryable } : {}),
      };
      // a refused fail (e.g. never started) still ends the run, as a platform-side error
      if (!attempt(command, status).ok) attempt("error", status);
      break;
    }
  }
  return steps;
}
