import type { EventActor } from "@ambit/protocol";
import type { HostReport } from "../run-session/report.ts";
import type { ReportResult, RunRef } from "../run-session/run-session.ts";
import type { RunSessionStub } from "../stubs.ts";

export type { HostReport };

/**
 * Hands one report of a run's holder to the run's session: one RPC, which turns it into
 * state-machine changes and applies them in one transaction there (run-session/report.ts). The
 * pool needs nothing back: a report that changes nothing (a resend, a run already ended) is no
 * error, and the pool has already let go of a finished run.
 */
export function applyHostReport(
  session: RunSessionStub,
  ref: RunRef,
  actor: EventActor,
  msg: HostReport,
): Promise<ReportResult> {
  return session.report(ref, actor, msg);
}
