import { type EventActor, isTerminal, type RunState, type RunStatusMessage } from "@ambit/protocol";
import type { Starter } from "../../src/lib/personal-secrets.ts";
import { dropEndedHolders } from "./audience.ts";
import { stopStatus } from "./deadlines.ts";
import { load } from "./open.ts";
import type { CommandOptions, Position, RunRef, SessionResult } from "./results.ts";
import { notFound } from "./results.ts";
import { emitRecorded } from "./platform-events.ts";
import type { Session } from "./session.ts";
import { type RunCommand, transition } from "./state-machine.ts";
import type { RunRecord } from "./storage.ts";

/** One change of state the state machine allows, and the status the run is left with. */
export type Step = {
  command: RunCommand;
  from: RunState;
  to: RunState;
  status: RunStatusMessage | null;
};

/** Applies one state-machine command (the `command` RPC); refusals are values, not exceptions. */
export async function command(
  s: Session,
  ref: RunRef,
  cmd: RunCommand,
  actor: EventActor,
  status?: RunStatusMessage,
  opts?: CommandOptions,
): Promise<SessionResult> {
  const run = await load(s, ref, opts?.row);
  if (!run) return notFound(ref);
  if (opts?.maxRunMs !== undefined) run.max_run_ms = opts.maxRunMs;
  // a host confirming the stop of a run that ran out of time: it failed, it was not cancelled
  if (cmd === "cancel" && run.timed_out_at !== null) {
    return apply(s, run, "fail", actor, stopStatus(run));
  }
  return apply(s, run, cmd, actor, status ?? null);
}

/** Cancels a run no host holds at once; a held run is marked and ends when its host confirms. */
export async function cancel(s: Session, ref: RunRef, actor: EventActor): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (isTerminal(run.state)) {
    const message = `run ${run.id} already ended (${run.state}); there is nothing to cancel`;
    return { ok: false, code: "invalid_request", message };
  }
  if (run.state === "QUEUED" || run.state === "PENDING") {
    // the message is the run's public status (a public link shows it): it names no one
    const by = actor.type === "service_account" ? "a service account" : `a ${actor.type}`;
    const status = { message: `Cancelled by ${by} before a host started it` };
    const result = await apply(s, run, "cancel", actor, status);
    // out of line, and a host that was just offered it is told to drop it
    await s.tellPool(run, (pool) => pool.cancel(run.id, "cancelled before it started"));
    return result;
  }
  if (run.cancel_requested_at !== null) return s.ok(run, run.summary_seq);
  const payload = { state: run.state };
  const [e] = s.record(run, [{ type: "run.cancel_requested", actor, payload }], () => {
    run.cancel_requested_at = Date.now();
  });
  await s.tellPool(run, (pool) => pool.cancel(run.id, `cancelled by ${actor.type} ${actor.id}`));
  await s.armTimers(); // a host that never confirms does not keep the run alive
  return s.ok(run, e.seq);
}

/** Ends a run whose host went away for good: CANCELLED if a cancel was pending, else ERROR. */
export async function hostLost(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  messages: { cancelled: RunStatusMessage; error: RunStatusMessage },
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (run.timed_out_at !== null) return apply(s, run, "fail", actor, stopStatus(run));
  return run.cancel_requested_at !== null
    ? apply(s, run, "cancel", actor, messages.cancelled)
    : apply(s, run, "error", actor, messages.error);
}

/**
 * Applies one command if the state machine allows it from the run's state, else says why not.
 * `starter`: who starts the execution a `reopen` begins (the follow-up's sender, followups.ts).
 */
export async function apply(
  s: Session,
  run: RunRecord,
  cmd: RunCommand,
  actor: EventActor,
  status: RunStatusMessage | null,
  starter: Starter = actor,
): Promise<SessionResult> {
  const t = transition(run.state, cmd);
  if (!t.ok) return { ok: false, code: "invalid_request", message: t.reason };
  return applySteps(s, run, [{ command: cmd, from: t.from, to: t.to, status }], actor, starter);
}

/**
 * Applies changes of state already checked against the state machine, in order, in one
 * transaction (a `run.state_changed` event each); then, once, brings the D1 row up to date,
 * closes the holders of an execution that ended and archives an ended run or arms the timers of
 * an active one. At least one step.
 */
export async function applySteps(
  s: Session,
  run: RunRecord,
  steps: Step[],
  actor: EventActor,
  starter: Starter = actor,
): Promise<Position & { started_by?: Starter }> {
  const now = Date.now();
  const entries = steps.map((step) => ({
    type: "run.state_changed",
    actor,
    payload: changeOf(run, step),
  }));
  const written = s.record(run, entries, (out) => {
    for (const step of steps) enter(run, step, now, starter);
    run.summary_seq = out[out.length - 1].seq;
  });
  await s.syncSummary();
  await emitRecorded(s, written);
  const reopened = steps.some((step) => step.command === "reopen" || step.command === "resume");
  if (isTerminal(run.state) || reopened) dropEndedHolders(s, run);
  if (isTerminal(run.state)) {
    await s.archive(written[written.length - 1].seq);
    await s.disarm();
  } else await s.armTimers();
  const dispatched = steps.some((step) => step.command === "dispatch");
  // whoever builds the assignment next needs to know whose execution it is
  return {
    ...s.ok(run, written[written.length - 1].seq),
    ...(dispatched ? { started_by: run.started_by } : {}),
  };
}

/** The payload of a step's `run.state_changed` event. */
function changeOf(run: RunRecord, { command, from, to, status }: Step) {
  return {
    from,
    to,
    command,
    ...(status ? { status_message: status } : {}),
    // a reopened (or resumed) run starts its next execution, whose host numbers its events from 1
    ...(command === "reopen" || command === "resume" ? { execution_id: run.execution_id + 1 } : {}),
  };
}

/** What entering a step's state does to the run. */
function enter(run: RunRecord, { command, to, status }: Step, now: number, starter: Starter) {
  if (command === "reopen" || command === "resume") {
    run.execution_id += 1;
    run.host_seq = 0;
  }
  // the follow-up's sender; a resumed execution is still the one its starter began
  if (command === "reopen") run.started_by = starter;
  run.state = to;
  run.status_message = status;
  run.updated_at = now;
  if (to === "INPROGRESS" && run.started_at === null) run.started_at = now;
  if (command === "start") run.deadline_at = run.max_run_ms ? now + run.max_run_ms : null;
  run.ended_at = isTerminal(to) ? now : null;
  // a new execution (or another offer) starts with no stop pending
  if (to === "QUEUED") {
    run.cancel_requested_at = run.timed_out_at = run.deadline_at = null;
    run.stop_status = null;
  }
}
