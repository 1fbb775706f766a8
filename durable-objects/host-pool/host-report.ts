import type { EventActor, HostMessage, RunStatusMessage } from "@ambit/protocol";
import type { RunRef } from "../run-session/run-session.ts";
import type { RunSessionStub } from "../stubs.ts";

/** What a run's holder reports about it once it has claimed it (a host over its pool socket, or a LOCAL run's CLI). */
export type HostReport = Extract<HostMessage, { type: "task_started" | "task_blocked" | "task_unblocked" | "task_completed" | "task_failed" }>;

/**
 * Turns one report of a run's holder into the run's state-machine commands. The same for every
 * holder, so a hosted run and a LOCAL one move through the same states for the same reports.
 * Refusals of start/block/unblock change nothing (a follow-up already woke the run, a resend);
 * a final report always ends the run.
 */
export async function applyHostReport(session: RunSessionStub, ref: RunRef, actor: EventActor, msg: HostReport) {
  switch (msg.type) {
    case "task_started":
      await session.command(ref, "start", actor);
      return;
    case "task_blocked":
      await session.command(ref, "block", actor, { message: `Waiting for a person: ${msg.data.question}` });
      return;
    case "task_unblocked":
      await session.command(ref, "unblock", actor);
      return;
    case "task_completed": {
      const cancelled = msg.data.task_state === "CANCELLED";
      const status = { message: msg.data.message || (cancelled ? "Cancelled on the host" : "Succeeded") };
      let r = await session.command(ref, cancelled ? "cancel" : "succeed", actor, status);
      // a host may finish without ever saying task_started; a run must not stay CLAIMED
      if (!r.ok && !cancelled) {
        await session.command(ref, "start", actor);
        r = await session.command(ref, "succeed", actor, status);
        // no host id in the message: a run's status is public on its link, and a LOCAL run's host id names its creator
        if (!r.ok) await session.command(ref, "error", actor, { message: `The host reported success, but ${r.message}`, error_code: "internal_error" });
      }
      return;
    }
    case "task_failed": {
      const d = msg.data;
      const command = d.task_state === "CANCELLED" ? "cancel" : d.task_state === "ERROR" ? "error" : "fail";
      const status: RunStatusMessage = { message: d.message, ...(d.error_code ? { error_code: d.error_code } : {}), ...(d.retryable !== undefined ? { retryable: d.retryable } : {}) };
      const r = await session.command(ref, command, actor, status);
      // a refused fail (e.g. never started) still ends the run, as a platform-side error
      if (!r.ok) await session.command(ref, "error", actor, status);
      return;
    }
  }
}
