import { DurableObject } from "cloudflare:workers";
import type { HostInfo } from "@ambit/protocol";
import { admitContainer } from "./admission.ts";
import {
  acceptHost,
  closeSilent,
  HOST_GRANT_HEADER,
  type HostGrant,
  type HostState,
  hostInfos,
  hostSockets,
  Inbox,
  readFrame,
  timings,
} from "./connections.ts";
import {
  containerStopped,
  containerWanted,
  type PlatformHosting,
  platformHosting,
} from "./containers.ts";
import {
  CAPACITY_POLL_MS,
  Dispatch,
  LINE_RETRY_MS,
  type Offer,
  type OfferResult,
} from "./dispatch.ts";
import { recordHostAudit } from "./audit.ts";
import { Holds } from "./holds.ts";
import {
  heldAll,
  heldGet,
  lineGet,
  lineOrHeld,
  markSession,
  migrate,
  pruneSessions,
  scheduleAlarm,
  SESSION_MARK_TTL_MS,
} from "./storage.ts";

/**
 * One per team and worker host: the connected hosts (hibernating websockets, connections.ts), the
 * runs waiting in line (SQLite, storage.ts), and which connection holds which run (holds.ts). It
 * assigns fairly within capacity (dispatch.ts) and keeps each run's `RunSession` told of every
 * step. The class is the entry points only.
 */
export class HostPool extends DurableObject<Env> {
  private pool = "";
  private teamId = "";
  /** how the platform pool gets hosts (PLATFORM_HOSTS); tests replace it to watch the starts */
  hosting: PlatformHosting | null = null;
  private dispatch = new Dispatch({
    ctx: this.ctx,
    env: this.env,
    who: () => ({ pool: this.pool, teamId: this.teamId }),
    hosting: () => (this.hosting ??= platformHosting(this.env)),
    hostGone: (ws) => this.holds.hostGone(ws),
  });
  private holds: Holds = new Holds({ ctx: this.ctx, env: this.env }, this.dispatch);
  private inbox = new Inbox(() => this.pool);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage.sql, ctx.storage.kv);
      this.pool = (ctx.storage.kv.get<string>("pool") ?? "") as string;
      this.teamId = (ctx.storage.kv.get<string>("team_id") ?? "") as string;
    });
  }

  // ── RPC ──────────────────────────────────────────────────────────────────────────────────

  /** Puts an execution of a run in line (idempotent: a redelivered offer changes nothing). */
  async offer(input: Offer): Promise<OfferResult> {
    return (await this.offerAll([input]))[0];
  }

  /** Puts executions of runs in line, in the order given: what the RUNS queue's consumer sends. */
  async offerAll(inputs: Offer[]): Promise<OfferResult[]> {
    for (const input of inputs) this.identify(input.teamId, input.pool);
    return this.dispatch.offerAll(inputs);
  }

  /**
   * A run's session opened while the run is (or is about to be) in line: from now on it is told
   * why the run waits. Answers what the run was last told, which its session may not have seen.
   */
  async watch(runId: string): Promise<{ told: string | null }> {
    const sql = this.ctx.storage.sql;
    if (!heldGet(sql, runId)) markSession(sql, runId);
    pruneSessions(sql, Date.now() - SESSION_MARK_TTL_MS);
    return { told: lineGet(sql, runId)?.told ?? null };
  }

  /**
   * Which of `runIds` this pool has, waiting in line or held: the housekeeping's sweep of QUEUED
   * runs (src/services/runs/redispatch.ts) offers again only those it does not.
   */
  async holding(runIds: string[]): Promise<{ ok: true; held: string[] }> {
    return { ok: true, held: lineOrHeld(this.ctx.storage.sql, runIds) };
  }

  /** Takes a run out of line, or tells the host holding it to stop. */
  async cancel(
    runId: string,
    reason: string,
  ): Promise<{ ok: true; was: "waiting" | "held" | "none" }> {
    return this.holds.cancel(runId, reason);
  }

  /** Frees the slot of a run that ended without its host confirming (see RunSession timers). */
  async release(runId: string): Promise<{ ok: true; released: boolean }> {
    return this.holds.release(runId);
  }

  /** Every connected host connection with its capacity and running runs. */
  async hosts(): Promise<HostInfo[]> {
    return hostInfos(hostSockets(this.ctx), heldAll(this.ctx.storage.sql));
  }

  /** Whether the runner container started for `runId` still has work (asked by an idle `RunnerContainer`). */
  async containerWanted(runId: string): Promise<boolean> {
    return containerWanted(this.ctx.storage.sql, hostSockets(this.ctx), runId);
  }

  /** The container started for `runId` stopped (its runner exited): see containers.ts. */
  async containerStopped(
    runId: string,
    exitCode: number,
  ): Promise<{ ok: true; action: "none" | "retry" | "ended" }> {
    return {
      ok: true,
      action: await containerStopped(this.ctx.storage.sql, this.dispatch, runId, exitCode),
    };
  }

  // ── host sockets ─────────────────────────────────────────────────────────────────────────

  async fetch(request: Request): Promise<Response> {
    const grant = JSON.parse(request.headers.get(HOST_GRANT_HEADER) ?? "null") as HostGrant | null;
    if (!grant || request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("expected a host websocket", { status: 400 });
    this.identify(grant.teamId, grant.pool);
    if (grant.container) {
      // no await from this check to acceptWebSocket: a second connection cannot slip in between
      const admitted = admitContainer(
        this.ctx.storage.sql,
        hostSockets(this.ctx).map((s) => s.state),
        grant.container,
      );
      if (!admitted.ok)
        return Response.json(
          { ok: false, code: admitted.code, message: admitted.message },
          { status: admitted.status },
        );
    }
    const { heartbeat, silent } = timings(this.env);
    const response = acceptHost(this.ctx, grant, heartbeat);
    await scheduleAlarm(this.ctx.storage, Date.now() + silent);
    await recordHostAudit(this.env, "host.connect", grant.teamId, {
      pool: grant.pool,
      workerId: grant.workerId,
      principal: grant.principal.id,
      keyId: grant.keyId,
    });
    return response;
  }

  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer) {
    await this.inbox.message(ws, raw, async () => {
      const frame = readFrame(ws, raw);
      if (!frame || frame.msg.type === "heartbeat") return;
      if (frame.msg.type !== "hello") {
        const started = (runId: string) =>
          this.inbox.takeNext(ws, (m) => m.type === "task_started" && m.data.task_id === runId);
        return this.holds.report(ws, frame.state, frame.msg, started);
      }
      this.holds.adopt(
        frame.state,
        frame.msg.data.running.map((r) => r.task_id),
      );
      await this.dispatch.pump();
    });
  }

  async webSocketClose(ws: WebSocket, code: number) {
    await this.inbox.inOrder(ws, () => this.hostGone(ws));
    try {
      ws.close(code === 1005 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  async webSocketError(ws: WebSocket) {
    await this.inbox.inOrder(ws, () => this.hostGone(ws));
  }

  /** A host connection ended (closed, failed, or silent): its runs are dealt with, and recorded. */
  private async hostGone(ws: WebSocket) {
    const state = ws.deserializeAttachment() as HostState | null;
    await this.holds.hostGone(ws);
    if (state && this.teamId)
      await recordHostAudit(this.env, "host.disconnect", this.teamId, {
        pool: this.pool,
        workerId: state.worker_id,
        principal: state.principal,
        keyId: state.key_id,
        conn: state.conn,
      });
  }

  /**
   * Leases: silent hosts are closed; runs of hosts gone longer than the grace are lost; held runs
   * whose deadline may have passed are checked (holds.ts `watchDeadlines`).
   */
  async alarm() {
    const now = Date.now();
    const { heartbeat, silent, lostGrace } = timings(this.env);
    for (const ws of closeSilent(this.ctx, silent, now)) await this.hostGone(ws);
    await this.holds.loseExpired(now, lostGrace);
    const due = await this.holds.watchDeadlines(now);
    // a pump that throws is logged and has set this alarm to try again: the leases still go on
    await this.dispatch.pump().catch(() => {});
    // also what a refresh that never finished (the object was evicted) left untold, anywhere in line
    this.dispatch.line.behindChanged();
    const untold = await this.dispatch.line.refresh();
    if (hostSockets(this.ctx).length || this.holds.anyLost())
      await this.dispatch.alarmIn(heartbeat);
    if (due !== null) await scheduleAlarm(this.ctx.storage, due);
    if (this.dispatch.atLimit) await this.dispatch.alarmIn(CAPACITY_POLL_MS);
    if (untold) await this.dispatch.alarmIn(LINE_RETRY_MS);
  }

  private identify(teamId: string, pool: string) {
    if (this.pool) return;
    this.pool = pool;
    this.teamId = teamId;
    this.ctx.storage.kv.put("pool", pool);
    this.ctx.storage.kv.put("team_id", teamId);
  }
}
