import { DurableObject } from "cloudflare:workers";
import { type EventActor, isTerminal, type RunEvent } from "@ambit/protocol";
import type { CheckpointItem, RunFollowupRequest, RunStatusMessage } from "@ambit/protocol";
import { recheckAccess } from "./access.ts";
import { attach } from "./attach.ts";
import { budgetStop } from "./budget-stop.ts";
import { checkpointStored, lastCheckpoint } from "./checkpoints.ts";
import { dropWatchers, left } from "./audience.ts";
import { continueLocally, followup } from "./followups.ts";
import { resumeAfterHostLost } from "./resume.ts";
import { onFrame } from "./frames.ts";
import { append, claim, report } from "./holder.ts";
import { waiting, watchLine } from "./line.ts";
import { init, load } from "./open.ts";
import type { HostReport } from "./report.ts";
import type {
  AppendResult,
  CommandOptions,
  DeadlineWatch,
  LeaseResult,
  ReportResult,
  RunInit,
} from "./results.ts";
import { notFound, type RunRef, type SessionResult, type StandingChange } from "./results.ts";
import { Session } from "./session.ts";
import type { RunCommand } from "./state-machine.ts";
import { lastSeq, listEvents, migrate, readRun } from "./storage.ts";
import { alarm, lease, watchDeadline } from "./timers.ts";
import { cancel, command, hostLost } from "./transitions.ts";

export type { RunRef, RunInit, SessionResult, LeaseResult, ReportResult, AppendResult };
export type { CommandOptions, DeadlineWatch, StandingChange };

/** The default page of the `events` RPC (its callers page with their own limits). */
const EVENTS_PAGE = 1_000;

/**
 * One per run: the authority for the run's state and its append-only event log, and the hub every
 * attached client and the run's host talk through. Every change is an event persisted here first,
 * then broadcast, then projected onto the run's D1 row.
 *
 * A thin shell: each entry point hands its call to the module that holds it, with the instance's
 * `Session` (session.ts). Refusals are values, not exceptions (results.ts).
 */
export class RunSession extends DurableObject<Env> {
  private readonly session: Session;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.session = new Session(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      // a new run's storage is empty: nothing to read back
      if (migrate(ctx.storage.sql, ctx.storage.kv)) this.session.fresh();
      else this.session.run = readRun(ctx.storage.sql);
    });
  }

  // ── RPC ────────────────────────────────────────────────────────────────────────────────────

  /** Creates the session (idempotent: a second call answers with the current state). */
  init(input: RunInit): Promise<SessionResult> {
    return init(this.session, input);
  }

  /** Cancels a run no host holds at once; a held run is marked and ends when its host confirms. */
  cancel(ref: RunRef, actor: EventActor): Promise<SessionResult> {
    return cancel(this.session, ref, actor);
  }

  /** Says why a run is waiting (no host, all busy…), without changing its state. */
  waiting(ref: RunRef, statusMessage: RunStatusMessage): Promise<SessionResult> {
    return waiting(this.session, ref, statusMessage);
  }

  /**
   * Records that execution `executionId` was given no personal secrets, and why (the assignment
   * decides: src/lib/personal-secrets.ts). A note about an execution that is no longer current
   * is dropped.
   */
  async secretsWithheld(
    ref: RunRef,
    executionId: number,
    payload: Record<string, unknown>,
  ): Promise<SessionResult> {
    return this.systemNote(ref, executionId, "secrets", "secrets.withheld", payload);
  }

  /**
   * Records the `usage` event of one model call the gateway served for execution `executionId`
   * (the call is already in the ledger). Dropped for an execution that is no longer current or a
   * run that ended: the ledger keeps the call either way.
   */
  async usageRecorded(
    ref: RunRef,
    executionId: number,
    payload: Record<string, unknown>,
  ): Promise<SessionResult> {
    return this.systemNote(ref, executionId, "gateway", "usage", payload);
  }

  /**
   * The platform stored a checkpoint of execution `executionId` (src/services/runs/checkpoints.ts):
   * a `checkpoint` event, and the run's starting point from now on (checkpoints.ts).
   */
  checkpointStored(ref: RunRef, executionId: number, item: CheckpointItem): Promise<SessionResult> {
    return checkpointStored(this.session, ref, executionId, item);
  }

  /** The run's last checkpoint (null: none yet). */
  lastCheckpoint(ref: RunRef) {
    return lastCheckpoint(this.session, ref);
  }

  /** An event by the platform (`system:<by>`) about a live run's current execution, else none. */
  private async systemNote(
    ref: RunRef,
    executionId: number,
    by: string,
    type: "secrets.withheld" | "usage",
    payload: Record<string, unknown>,
  ): Promise<SessionResult> {
    const run = await load(this.session, ref);
    if (!run) return notFound(ref);
    if (run.execution_id !== executionId || isTerminal(run.state)) {
      return this.session.ok(run, run.summary_seq);
    }
    const actor = { type: "system" as const, id: by };
    const [e] = this.session.record(run, [{ type, actor, payload }]);
    return this.session.ok(run, e.seq);
  }

  /**
   * A `log` event from the platform itself about the run (an integration that could not post
   * its progress back to Slack, say): the run goes on; its events say so.
   */
  async note(ref: RunRef, payload: { level: "info" | "warning"; message: string; source: string }) {
    const run = await load(this.session, ref);
    if (!run) return notFound(ref);
    const actor = { type: "system" as const, id: payload.source };
    const [e] = this.session.record(run, [{ type: "log", actor, payload }]);
    return this.session.ok(run, e.seq);
  }

  /** The run's state and execution, changing nothing. */
  async status(ref: RunRef): Promise<SessionResult> {
    const run = await load(this.session, ref);
    return run ? this.session.ok(run, run.summary_seq) : notFound(ref);
  }

  /**
   * A run whose host went away for good: back in line to resume from its last checkpoint when
   * the team allows (resume.ts), else CANCELLED if a cancel was pending, else ERROR.
   */
  async hostLost(
    ref: RunRef,
    actor: EventActor,
    messages: { cancelled: RunStatusMessage; error: RunStatusMessage },
  ): Promise<SessionResult> {
    const resumed = await resumeAfterHostLost(this.session, ref, actor, messages.error);
    return resumed ?? hostLost(this.session, ref, actor, messages);
  }

  /**
   * Renews a LOCAL run's lease (its CLI reported) and says whether it must stop. The lease is
   * what keeps a run whose machine went away from staying active (timers.ts).
   */
  lease(ref: RunRef): Promise<LeaseResult> {
    return lease(this.session, ref);
  }

  /**
   * The run's pool asks whether the run passed the team's maximum run time: if so it is told to
   * stop; the answer says when to ask again (timers.ts).
   */
  watchDeadline(ref: RunRef): Promise<DeadlineWatch> {
    return watchDeadline(this.session, ref);
  }

  /** A budget is spent: the run stops and ends FAILED with `status` (budget-stop.ts). */
  budgetStop(ref: RunRef, executionId: number, status: RunStatusMessage): Promise<SessionResult> {
    return budgetStop(this.session, ref, executionId, status);
  }

  /** Applies one state-machine command; refusals are values, not exceptions. */
  command(
    ref: RunRef,
    cmd: RunCommand,
    actor: EventActor,
    statusMessage?: RunStatusMessage,
    opts?: CommandOptions,
  ): Promise<SessionResult> {
    return command(this.session, ref, cmd, actor, statusMessage, opts);
  }

  /**
   * Its host claims the run; `then`: the report the host sent right behind the claim, applied
   * with it in one transaction and one D1 update (holder.ts).
   */
  claim(ref: RunRef, actor: EventActor, then?: HostReport): Promise<SessionResult> {
    return claim(this.session, ref, actor, then);
  }

  /**
   * One report of the run's holder (its host through its pool, or a LOCAL run's CLI), applied in
   * one call and one transaction (holder.ts, report.ts); a redelivered report changes nothing.
   */
  report(ref: RunRef, actor: EventActor, msg: HostReport): Promise<ReportResult> {
    return report(this.session, ref, actor, msg);
  }

  /**
   * A follow-up from an editor: delivered to the live host, wakes a BLOCKED run, or starts the
   * next execution of an ended run (followups.ts). `delegated`: it came through a key someone
   * else minted for `actor`.
   */
  followup(
    ref: RunRef,
    actor: EventActor,
    input: RunFollowupRequest,
    opts: { delegated?: boolean } = {},
  ): Promise<SessionResult> {
    return followup(this.session, ref, actor, input, opts);
  }

  /** The next execution of an ended run, on its creator's machine (followups.ts). */
  continueLocally(
    ref: RunRef,
    actor: EventActor,
    input: RunFollowupRequest,
  ): Promise<SessionResult> {
    return continueLocally(this.session, ref, actor, input);
  }

  /** Events from the run's host, each with its own `host_seq` (holder.ts). */
  append(
    ref: RunRef,
    actor: EventActor,
    events: { host_seq: number; type: string; payload: Record<string, unknown> }[],
  ): Promise<AppendResult> {
    return append(this.session, ref, actor, events);
  }

  async events(
    ref: RunRef,
    after = 0,
    limit = EVENTS_PAGE,
  ): Promise<{ events: RunEvent[]; last_seq: number } | null> {
    const run = await load(this.session, ref);
    if (!run) return null;
    await watchLine(this.session, run);
    const sql = this.session.sql;
    return { events: listEvents(sql, after, limit), last_seq: lastSeq(sql) };
  }

  /**
   * Disconnects every watcher and steerer but `keepPrincipalId` (the run's creator) and the host:
   * the run's sharing shrank, so each reconnects and is authorized again with what it has now.
   */
  async dropWatchers(ref: RunRef, keepPrincipalId: string): Promise<number> {
    return (await load(this.session, ref)) ? dropWatchers(this.session, keepPrincipalId) : 0;
  }

  /**
   * A principal's standing changed: their connections here are checked against D1 again, and
   * those whose access fell are closed (access.ts).
   */
  recheckAccess(ref: RunRef, change: StandingChange): Promise<{ ok: true; closed: number }> {
    return recheckAccess(this.session, ref, change);
  }

  /** Retries a summary write-back or transcript archive, and fires the run's timers. */
  async alarm() {
    await alarm(this.session);
  }

  // ── Attach: websocket (hibernating) and Server-Sent Events ────────────────────────────────

  /** Only the Worker calls this, with a grant for a caller it already authenticated (attach.ts). */
  async fetch(request: Request): Promise<Response> {
    return attach(this.session, request);
  }

  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer) {
    await onFrame(this.session, ws, raw);
  }

  async webSocketClose(ws: WebSocket, code: number) {
    left(this.session, ws);
    try {
      ws.close(code === 1005 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  async webSocketError(ws: WebSocket) {
    left(this.session, ws);
  }
}
