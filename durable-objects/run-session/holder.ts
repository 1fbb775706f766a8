import { capPayload, type EventActor, EventInput, isTerminal } from "@ambit/protocol";
import { LIFECYCLE_EVENT_TYPES, LOCAL_POOL } from "@ambit/protocol";
import { load } from "./open.ts";
import { nudgeProgress } from "./platform-events.ts";
import { type HostReport, planReport } from "./report.ts";
import { type AppendResult, notFound, type ReportResult, type RunRef } from "./results.ts";
import type { SessionResult } from "./results.ts";
import type { EventEntry, Session } from "./session.ts";
import { transition } from "./state-machine.ts";
import type { RunRecord } from "./storage.ts";
import { renewLease } from "./timers.ts";
import { applySteps } from "./transitions.ts";

// What the run's holder (its host, or a LOCAL run's CLI) sends the session: the events of its
// execution (`append`, over its HOST socket) and its reports (`report`, through its pool or the
// LOCAL run routes). Each is one call, applied in one transaction.

type HostEvent = { host_seq: number; type: string; payload: Record<string, unknown> };

/**
 * Events from the run's host. Each carries the host's own `host_seq`; a resend (at or below the
 * last accepted one) or anything after the run ended is refused as a value, not appended.
 */
export async function append(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  events: HostEvent[],
): Promise<AppendResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  const refused: { host_seq: number; reason: string }[] = [];
  const accepted: EventEntry[] = [];
  let highest = run.host_seq;
  for (const e of events) {
    const parsed = EventInput.safeParse({ type: e.type, payload: e.payload });
    const reason = refusalOf(run, e, highest, parsed);
    if (reason !== null || !parsed.success) {
      refused.push({ host_seq: e.host_seq, reason: reason ?? "invalid event" });
      continue;
    }
    highest = e.host_seq;
    const payload = capPayload(parsed.data.payload).value;
    accepted.push({ type: parsed.data.type, actor, payload });
  }
  const written = accepted.length ? s.record(run, accepted, () => (run.host_seq = highest)) : [];
  const done = written.filter((e) => e.type === "agent.tool_result");
  if (done.length) await nudgeProgress(s, done[done.length - 1].seq);
  return { ok: true, seqs: written.map((e) => e.seq), refused };
}

/** Why a host's event is not appended, or null. */
function refusalOf(
  run: RunRecord,
  e: HostEvent,
  highest: number,
  parsed: ReturnType<typeof EventInput.safeParse>,
): string | null {
  if (isTerminal(run.state)) {
    return `the run already ended (${run.state}); no more events are accepted`;
  }
  if (e.host_seq <= highest) {
    return `duplicate or stale host_seq ${e.host_seq} (last accepted ${highest})`;
  }
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    return `invalid event: ${issues.join("; ")}`;
  }
  if (LIFECYCLE_EVENT_TYPES.includes(parsed.data.type)) {
    return `${e.type} is written by the platform, not by hosts`;
  }
  return null;
}

/**
 * One report of the run's holder, in one call: the changes of state it makes (report.ts) are
 * written in one transaction and the D1 row follows once, so nobody sees a half-applied report;
 * a report redelivered after it was applied finds nothing more to change. A LOCAL run's lease is
 * renewed by every report of its CLI.
 */
export async function report(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  msg: HostReport,
): Promise<ReportResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  const steps = planReport(run, msg);
  const at = steps.length ? await applySteps(s, run, steps, actor) : s.ok(run, run.summary_seq);
  if (run.pool === LOCAL_POOL) await renewLease(s, run);
  return {
    ok: true,
    state: run.state,
    seq: at.seq,
    execution_id: run.execution_id,
    cancel_requested: run.cancel_requested_at !== null,
  };
}

/**
 * A host claims the run, and with it the report it sent right behind the claim (its
 * `task_started`, when the pool had both waiting): both changes of state in one transaction, so
 * the run's D1 row is updated once, not twice (each update rewrites the row's indexes). Refused,
 * like the `claim` command, unless the run waits for its host (PENDING).
 */
export async function claim(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  then?: HostReport,
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  const t = transition(run.state, "claim");
  if (!t.ok) return { ok: false, code: "invalid_request", message: t.reason };
  const claimed = { command: "claim" as const, from: t.from, to: t.to, status: null };
  const after = then ? planReport({ ...run, state: t.to }, then) : [];
  return applySteps(s, run, [claimed, ...after], actor);
}
