import { type EventActor, isTerminal, LOCAL_POOL } from "@ambit/protocol";
import type { RunFollowupRequest } from "@ambit/protocol";
import { dispatchRun } from "../../src/lib/dispatch.ts";
import { getConfig } from "../../src/env.ts";
import type { Starter } from "../../src/lib/personal-secrets.ts";
import { load } from "./open.ts";
import { notFound, type RunRef, type SessionResult } from "./results.ts";
import { emitRecorded } from "./platform-events.ts";
import type { Session } from "./session.ts";
import { broadcast } from "./sockets.ts";
import type { RunRecord } from "./storage.ts";
import { apply } from "./transitions.ts";

/**
 * A follow-up from an editor: delivered to the live host while the run is active, wakes a
 * BLOCKED run, or starts the next execution of an ended run (back to QUEUED), which is sent to
 * its pool from here, whichever way the follow-up came (the REST route or a websocket frame).
 * `delegated`: it came through a key someone else minted for `actor`; an execution it starts
 * gets no personal secrets (src/lib/personal-secrets.ts).
 */
export async function followup(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  input: RunFollowupRequest,
  opts: { delegated?: boolean } = {},
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (isTerminal(run.state) && run.pool === LOCAL_POOL) {
    return {
      ok: false,
      code: "invalid_request",
      message:
        `run ${run.id} ran on its creator's machine (LOCAL) and ended (${run.state}); a ` +
        "follow-up cannot restart it there. Its creator continues it with " +
        `ambit run continue ${run.id} --local`,
    };
  }
  if (isTerminal(run.state)) {
    const starter: Starter = opts.delegated ? { ...actor, delegated: true } : actor;
    const status = { message: "Queued: a follow-up started a new execution" };
    const reopened = await apply(s, run, "reopen", actor, status, starter);
    if (!reopened.ok) return reopened;
    await dispatchRun(s.env, {
      runId: run.id,
      teamId: run.team_id,
      pool: run.pool,
      executionId: run.execution_id,
      sessionOpen: true,
    });
  }
  return deliver(s, run, actor, input);
}

/**
 * Continues an ended run on its creator's machine (`ambit run continue <id> --local`): its next
 * execution is LOCAL, QUEUED under a lease its CLI claims at once (src/services/runs/local-run.ts),
 * and the follow-up is the first message that execution gets. From here the run is a LOCAL run:
 * its pool's hosts no longer take it, and a later turn is another `continue --local`.
 */
export async function continueLocally(
  s: Session,
  ref: RunRef,
  actor: EventActor,
  input: RunFollowupRequest,
): Promise<SessionResult> {
  const run = await load(s, ref);
  if (!run) return notFound(ref);
  if (!isTerminal(run.state)) {
    return {
      ok: false,
      code: "invalid_request",
      message:
        `run ${run.id} is ${run.state}; only an ended run continues on this machine: send it ` +
        "a follow-up where it runs, or cancel it and continue it here",
    };
  }
  run.pool = LOCAL_POOL;
  run.lease_until = Date.now() + getConfig(s.env).LOCAL_RUN_LEASE_MS;
  const status = { message: "Queued: continued on its creator's machine (LOCAL)" };
  const reopened = await apply(s, run, "reopen", actor, status);
  if (!reopened.ok) return reopened;
  return deliver(s, run, actor, input);
}

/** Records a follow-up for the run's current execution and hands it to the live holder. */
async function deliver(
  s: Session,
  run: RunRecord,
  actor: EventActor,
  input: RunFollowupRequest,
): Promise<SessionResult> {
  const payload = {
    message: input.message,
    ...(input.mode ? { mode: input.mode } : {}),
    execution_id: run.execution_id,
  };
  const [e] = s.record(run, [{ type: "followup.received", actor, payload }]);
  await emitRecorded(s, [e]);
  const result =
    run.state === "BLOCKED" ? await apply(s, run, "unblock", actor, null) : s.ok(run, e.seq);
  // the host of a BLOCKED run is waiting for exactly this message, so it gets it too
  s.outbox.flush();
  broadcast(s.ctx.getWebSockets("HOST"), {
    type: "followup",
    message: input.message,
    mode: input.mode,
    execution_id: run.execution_id,
  });
  return result;
}
