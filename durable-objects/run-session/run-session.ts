import { DurableObject } from "cloudflare:workers";
import {
  capPayload, ClientFrame, type DispatchMessage, EventInput, type EventActor, type RunEvent, type RunFollowupRequest, type RunState,
  type RunStatusMessage, isTerminal, LIFECYCLE_EVENT_TYPES, LOCAL_POOL, poolOf, type ServerFrame,
} from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { anonymousActor, anonymousEvent } from "../../src/lib/anonymous.ts";
import type { Starter } from "../../src/lib/personal-secrets.ts";
import { hostPool, type HostPoolStub } from "../stubs.ts";
import { archiveTranscript } from "./archive.ts";
import { Outbox } from "./fanout.ts";
import { nextTurn, PresenceTimer, REPLAY_PAGE_EVENTS, replayFrames } from "./replay.ts";
import { type AttachGrant, ATTACH_HEADER, broadcast, ipTag, presence, PUBLIC_TAG, send, sendText, type SocketState, stateOf } from "./sockets.ts";
import { forgetAttachment, isTeamPrincipal, pruneAttachments, registerAttachment, type Standing, standingOf } from "./standing.ts";
import { type RunCommand, transition } from "./state-machine.ts";
import { appendEvent, insertRun, lastSeq, listEvents, migrate, readRun, type RunRecord, updateRun } from "./storage.ts";
import { type D1Columns, d1Columns, readRunRow, writeSummary } from "./summary.ts";
import { viewerRefusal } from "./viewers.ts";
import { log } from "../../src/lib/log.ts";

/** Identifies the run a call is about; the team is checked against the stored run. */
export type RunRef = { runId: string; teamId: string };

export type RunInit = RunRef & {
  state: RunState;
  createdAt: number;
  statusMessage: RunStatusMessage | null;
  actor: EventActor;
  prompt?: string;
  /** the HostPool the run is dispatched through (default: the platform pool) */
  pool?: string;
};

type Refusal = { ok: false; code: "invalid_request" | "resource_not_found" | "not_authorized"; message: string };
export type SessionResult =
  | {
      ok: true;
      state: RunState;
      seq: number;
      execution_id: number;
      /** with `dispatch` only: who started this execution (whose personal secrets it may get, src/lib/personal-secrets.ts) */
      started_by?: Starter;
    }
  | Refusal;
/** Where a LOCAL run stands for the CLI that holds it (its lease was just renewed if it is active). */
export type LeaseResult = { ok: true; state: RunState; execution_id: number; cancel_requested: boolean; lease_ms: number } | Refusal;
export type AppendResult = { ok: true; seqs: number[]; refused: { host_seq: number; reason: string }[] } | Refusal;
type EventEntry = { type: string; actor: EventActor; payload: object };
export type CommandOptions = { /** the team's maximum run time, given with `dispatch` */ maxRunMs?: number };

const LIMITS: EventActor = { type: "system", id: "limits" };

const RETRY_MS = 1_000;
/** The default page of the `events` RPC (its callers page with their own limits). */
const EVENTS_PAGE = 1_000;
const encoder = new TextEncoder();

/** An open Server-Sent Events stream: who holds it, and whether its replay is done (then it gets live events). */
type SseClient = { conn: string; principal: EventActor; keyId?: string; ip?: string; live: boolean };
/** Whose standing changed: every connection of a principal, or every one made with one API key. */
export type StandingChange = { principalId: string } | { keyId: string };

/**
 * One per run: the authority for the run's state and its append-only event log, and the hub every
 * attached client and the run's host talk through. Every change is an event persisted here first,
 * then broadcast, then projected onto the run's D1 row.
 */
export class RunSession extends DurableObject<Env> {
  private run: RunRecord | null = null;
  /** what the run's D1 row holds, as far as this instance knows (null: unknown, write it all) */
  private d1: D1Columns | null = null;
  private syncing: Promise<void> = Promise.resolve();
  /** whether this instance asked its pool to tell it why the run waits (see watchLine) */
  private watching = false;
  /** Server-Sent Events listeners (in memory: an open SSE response keeps this object awake). */
  private sse = new Map<WritableStreamDefaultWriter<Uint8Array>, SseClient>();
  /** Sockets still being sent their replay: live events reach them once it is done (replay.ts). */
  private replaying = new Set<WebSocket>();
  /** Live events on their way to the clients, coalesced under load (see fanout.ts). */
  private outbox = new Outbox((events) => this.deliver(events), () => this.ctx.getWebSockets().length + this.sse.size);
  private presenceTimer = new PresenceTimer(() => this.sendPresence());

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage.sql, ctx.storage.kv);
      this.run = readRun(ctx.storage.sql);
    });
  }

  // ── RPC ────────────────────────────────────────────────────────────────────────────────────

  /** Creates the session (idempotent: a second call answers with the current state). */
  async init(input: RunInit): Promise<SessionResult> {
    if (this.run) return this.run.id === input.runId ? this.ok(this.run, this.run.summary_seq) : notFound(input);
    const seq = this.create(input);
    await this.armTimers(); // a LOCAL run's lease starts now: a CLI that never claims it does not leave it QUEUED
    return this.ok(this.run!, seq);
  }

  /** Cancels a run no host holds at once; a held run is marked and ends when its host confirms. */
  async cancel(ref: RunRef, actor: EventActor): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (isTerminal(run.state)) {
      return { ok: false, code: "invalid_request", message: `run ${run.id} already ended (${run.state}); there is nothing to cancel` };
    }
    if (run.state === "QUEUED" || run.state === "PENDING") {
      // the message is the run's public status (a public link shows it): it names no one
      const result = await this.apply(run, "cancel", actor, { message: `Cancelled by ${actor.type === "service_account" ? "a service account" : `a ${actor.type}`} before a host started it` });
      // out of line, and a host that was just offered it is told to drop it
      await this.tellPool(run, (pool) => pool.cancel(run.id, "cancelled before it started"));
      return result;
    }
    if (run.cancel_requested_at !== null) return this.ok(run, run.summary_seq);
    const [e] = this.record(run, [{ type: "run.cancel_requested", actor, payload: { state: run.state } }], () => {
      run.cancel_requested_at = Date.now();
    });
    await this.tellPool(run, (pool) => pool.cancel(run.id, `cancelled by ${actor.type} ${actor.id}`));
    await this.armTimers(); // a host that never confirms does not keep the run alive
    return this.ok(run, e.seq);
  }

  /** Says why a run is waiting (no host, all busy…), without changing its state. */
  async waiting(ref: RunRef, statusMessage: RunStatusMessage): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (run.state !== "QUEUED" || run.status_message?.message === statusMessage.message) return this.ok(run, run.summary_seq);
    const [e] = this.record(run, [{ type: "run.waiting", actor: { type: "system", id: "dispatch" }, payload: { status_message: statusMessage } }], () => {
      // a wait reason is live status, not a change to the run: updated_at (and with it every
      // list sorted by it) stays put while a run waits
      run.status_message = statusMessage;
      run.summary_seq = lastSeq(this.ctx.storage.sql);
    });
    await this.syncSummary();
    return this.ok(run, e.seq);
  }

  /**
   * Records that execution `executionId` was given no personal secrets, and why (the assignment
   * decides: src/lib/personal-secrets.ts). A note about an execution that is no longer current is dropped.
   */
  async secretsWithheld(ref: RunRef, executionId: number, payload: Record<string, unknown>): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (run.execution_id !== executionId || isTerminal(run.state)) return this.ok(run, run.summary_seq);
    const [e] = this.record(run, [{ type: "secrets.withheld", actor: { type: "system", id: "secrets" }, payload }]);
    return this.ok(run, e.seq);
  }

  /** The run's state and execution, changing nothing. */
  async status(ref: RunRef): Promise<SessionResult> {
    const run = await this.load(ref);
    return run ? this.ok(run, run.summary_seq) : notFound(ref);
  }

  /** Ends a run whose host went away for good: CANCELLED if a cancel was pending, else ERROR. */
  async hostLost(ref: RunRef, actor: EventActor, messages: { cancelled: RunStatusMessage; error: RunStatusMessage }): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (run.timed_out_at !== null) return this.apply(run, "fail", actor, timeoutStatus(run));
    return run.cancel_requested_at !== null ? this.apply(run, "cancel", actor, messages.cancelled) : this.apply(run, "error", actor, messages.error);
  }

  /**
   * Renews a LOCAL run's lease (its CLI reported) and says whether it must stop. The lease is what
   * keeps a run whose machine went away from staying active: see fireTimers.
   */
  async lease(ref: RunRef): Promise<LeaseResult> {
    const run = await this.load(ref);
    if (!run || run.pool !== LOCAL_POOL) return notFound(ref);
    const leaseMs = getConfig(this.env).LOCAL_RUN_LEASE_MS;
    if (!isTerminal(run.state)) {
      run.lease_until = Date.now() + leaseMs;
      updateRun(this.ctx.storage.sql, run);
      await this.armTimers();
    }
    return { ok: true, state: run.state, execution_id: run.execution_id, cancel_requested: run.cancel_requested_at !== null, lease_ms: leaseMs };
  }

  private async tellPool(run: RunRecord, call: (pool: HostPoolStub) => Promise<unknown>) {
    if (run.pool === LOCAL_POOL) return; // its CLI learns of a cancel from its next report (cancel_requested)
    try {
      await call(hostPool(this.env, run.team_id, run.pool));
    } catch (err) {
      log.error("host pool call failed", { run_id: run.id, error: err });
    }
  }

  /** Applies one state-machine command; refusals are values, not exceptions. */
  async command(ref: RunRef, command: RunCommand, actor: EventActor, statusMessage?: RunStatusMessage, opts?: CommandOptions): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (opts?.maxRunMs !== undefined) run.max_run_ms = opts.maxRunMs;
    // a host confirming the stop of a run that ran out of time: it failed, it was not cancelled
    if (command === "cancel" && run.timed_out_at !== null) return this.apply(run, "fail", actor, timeoutStatus(run));
    return this.apply(run, command, actor, statusMessage ?? null);
  }

  /**
   * A follow-up from an editor: delivered to the live host while the run is active, wakes a
   * BLOCKED run, or starts the next execution of an ended run (back to QUEUED), which is sent to
   * its pool from here, whichever way the follow-up came (the REST route or a websocket frame).
   * `delegated`: it came through a key someone else minted for `actor`; an execution it starts
   * gets no personal secrets (src/lib/personal-secrets.ts).
   */
  async followup(ref: RunRef, actor: EventActor, input: RunFollowupRequest, opts: { delegated?: boolean } = {}): Promise<SessionResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    if (isTerminal(run.state) && run.pool === LOCAL_POOL) {
      return { ok: false, code: "invalid_request", message: `run ${run.id} ran on its creator's machine (LOCAL) and ended (${run.state}); a follow-up cannot restart it there. Start a new run: ambit agent run --local, or ambit agent run-cloud` };
    }
    if (isTerminal(run.state)) {
      const starter: Starter = opts.delegated ? { ...actor, delegated: true } : actor;
      const reopened = await this.apply(run, "reopen", actor, { message: "Queued: a follow-up started a new execution" }, starter);
      if (!reopened.ok) return reopened;
      await this.dispatchExecution(run);
    }
    const payload = { message: input.message, ...(input.mode ? { mode: input.mode } : {}), execution_id: run.execution_id };
    const [e] = this.record(run, [{ type: "followup.received", actor, payload }]);
    const result = run.state === "BLOCKED" ? await this.apply(run, "unblock", actor, null) : this.ok(run, e.seq);
    // the host of a BLOCKED run is waiting for exactly this message, so it gets it too
    const hostFrame = { type: "followup" as const, message: input.message, mode: input.mode, execution_id: run.execution_id };
    this.outbox.flush();
    broadcast(this.ctx.getWebSockets("HOST"), hostFrame);
    return result;
  }

  /**
   * Events from the run's host. Each carries the host's own `host_seq`; a resend (at or below the
   * last accepted one) or anything after the run ended is refused as a value, not appended.
   */
  async append(ref: RunRef, actor: EventActor, events: { host_seq: number; type: string; payload: Record<string, unknown> }[]): Promise<AppendResult> {
    const run = await this.load(ref);
    if (!run) return notFound(ref);
    const refused: { host_seq: number; reason: string }[] = [];
    const accepted: EventEntry[] = [];
    let highest = run.host_seq;
    for (const e of events) {
      const parsed = EventInput.safeParse({ type: e.type, payload: e.payload });
      const reason = isTerminal(run.state)
        ? `the run already ended (${run.state}); no more events are accepted`
        : e.host_seq <= highest
          ? `duplicate or stale host_seq ${e.host_seq} (last accepted ${highest})`
          : !parsed.success
            ? `invalid event: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`
            : LIFECYCLE_EVENT_TYPES.includes(parsed.data.type)
              ? `${e.type} is written by the platform, not by hosts`
              : null;
      if (reason || !parsed.success) {
        refused.push({ host_seq: e.host_seq, reason: reason ?? "invalid event" });
        continue;
      }
      highest = e.host_seq;
      accepted.push({ type: parsed.data.type, actor, payload: capPayload(parsed.data.payload).value });
    }
    const written = accepted.length ? this.record(run, accepted, () => (run.host_seq = highest)) : [];
    return { ok: true, seqs: written.map((e) => e.seq), refused };
  }

  async events(ref: RunRef, after = 0, limit = EVENTS_PAGE): Promise<{ events: RunEvent[]; last_seq: number } | null> {
    const run = await this.load(ref);
    if (!run) return null;
    await this.watchLine(run);
    return { events: listEvents(this.ctx.storage.sql, after, limit), last_seq: lastSeq(this.ctx.storage.sql) };
  }

  /**
   * Disconnects every watcher and steerer but `keepPrincipalId` (the run's creator) and the host:
   * the run's sharing shrank, so each reconnects and is authorized again with what it has now.
   */
  async dropWatchers(ref: RunRef, keepPrincipalId: string): Promise<number> {
    if (!(await this.load(ref))) return 0;
    let dropped = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const who = stateOf(ws);
      if (!who || who.access === "HOST" || who.principal.id === keepPrincipalId) continue;
      ws.close(4003, "the run's sharing changed; reconnect to be authorized again");
      dropped++;
    }
    for (const [writer, { principal }] of this.sse) {
      if (principal.type === "host" || principal.id === keepPrincipalId) continue;
      this.closeSse(writer);
      dropped++;
    }
    return dropped;
  }

  /**
   * A principal's standing changed (removed from the team, another role, a key revoked): each of
   * their connections here is checked against D1 again, and one whose access fell is closed (4003)
   * so it attaches again with what it has now, if anything. Rows of connections gone unseen are
   * pruned from `live_attachments` on the way.
   */
  async recheckAccess(ref: RunRef, change: StandingChange): Promise<{ ok: true; closed: number }> {
    const run = await this.load(ref);
    if (!run) return { ok: true, closed: 0 };
    const hit = (p: EventActor, keyId?: string) => isTeamPrincipal(p) && ("keyId" in change ? keyId === change.keyId : p.id === change.principalId);
    const sockets = this.ctx.getWebSockets().filter((ws) => {
      const s = stateOf(ws);
      return s && s.access !== "HOST" && hit(s.principal, s.key_id);
    });
    const streams = [...this.sse].filter(([, c]) => hit(c.principal, c.keyId));
    const standings = new Map<string, Promise<Standing>>();
    const standing = (principal: EventActor, keyId?: string) => {
      const k = `${principal.id}:${keyId ?? ""}`;
      if (!standings.has(k)) standings.set(k, standingOf(this.env.DB, { runId: run.id, teamId: run.team_id, principal, keyId }));
      return standings.get(k)!;
    };
    let closed = 0;
    for (const ws of sockets) {
      const s = stateOf(ws)!;
      const now = await standing(s.principal, s.key_id);
      if (now.access === s.access || (now.access === "EDITOR" && s.access === "VIEWER")) continue;
      ws.close(4003, now.access === "NONE" ? `access to this run ended: ${now.why}` : "your access to this run changed; reconnect to watch");
      closed++;
    }
    for (const [writer, c] of streams) {
      if ((await standing(c.principal, c.keyId)).access !== "NONE") continue;
      this.closeSse(writer);
      closed++;
    }
    const open = [...this.ctx.getWebSockets().flatMap((ws) => (ws.readyState === WebSocket.OPEN ? [stateOf(ws)?.conn ?? ""] : [])), ...[...this.sse.values()].map((c) => c.conn)];
    await pruneAttachments(this.env.DB, run.id, open).catch(() => {});
    return { ok: true, closed };
  }

  /** Retries a summary write-back or transcript archive that did not go through, and fires the run's timers. */
  async alarm() {
    await this.syncSummary();
    await this.archive();
    await this.fireTimers();
    await this.armTimers();
  }

  // ── Attach: websocket (hibernating) and Server-Sent Events ────────────────────────────────

  /**
   * Only the Worker calls this, with a grant for a caller it already authenticated. A teammate's
   * connection is recorded in `live_attachments` and their standing read again in the same D1
   * batch (a removal racing the attach either is seen here or sees the row); a run at its viewer
   * caps answers 429 (viewers.ts).
   */
  async fetch(request: Request): Promise<Response> {
    const grant = JSON.parse(request.headers.get(ATTACH_HEADER) ?? "null") as AttachGrant | null;
    if (!grant) return new Response("missing attach grant", { status: 400 });
    const run = await this.load(grant);
    if (!run) return new Response("run not found", { status: 404 });
    await this.watchLine(run);
    const full = this.viewerRefusal(grant);
    if (full) return full;
    const conn = crypto.randomUUID();
    let access = grant.access;
    if (access !== "HOST" && isTeamPrincipal(grant.principal)) {
      const standing = await registerAttachment(this.env.DB, grant, conn);
      const refusal = standing.access === "NONE" ? new Response(standing.why, { status: 403 }) : this.viewerRefusal(grant);
      if (refusal) {
        await forgetAttachment(this.env.DB, conn);
        return refusal;
      }
      if (standing.access === "VIEWER") access = "VIEWER";
    }
    const attached = { ...grant, access };
    return request.headers.get("upgrade")?.toLowerCase() === "websocket" ? this.attachSocket(run, attached, conn) : this.attachSse(attached, conn);
  }

  private viewerRefusal(grant: AttachGrant) {
    const open = (ws: WebSocket) => ws.readyState === WebSocket.OPEN;
    const streams = [...this.sse.values()].filter((c) => c.principal.type !== "host");
    return viewerRefusal(getConfig(this.env), grant.access, grant.ip, {
      all: this.ctx.getWebSockets().filter(open).length - this.ctx.getWebSockets("HOST").filter(open).length + streams.length,
      fromIp: grant.ip === undefined ? 0 : this.ctx.getWebSockets(ipTag(grant.ip)).filter(open).length + streams.filter((c) => c.ip === grant.ip).length,
    });
  }

  private attachSocket(run: RunRecord, grant: AttachGrant, conn: string): Response {
    const { 0: client, 1: server } = new WebSocketPair();
    const tags = [grant.access, `principal:${grant.principal.id}`.slice(0, 256), ...(grant.ip !== undefined ? [PUBLIC_TAG, ipTag(grant.ip)] : [])];
    this.ctx.acceptWebSocket(server, tags);
    const state: SocketState = {
      conn, principal: grant.principal, access: grant.access, joined_at: Date.now(),
      ...(grant.keyId ? { key_id: grant.keyId } : {}),
      ...(grant.access === "HOST" ? { execution_id: grant.executionId } : {}),
    };
    server.serializeAttachment(state);
    send(server, { type: "ready", run_id: run.id, state: run.state, last_seq: lastSeq(this.ctx.storage.sql), access: grant.access, execution_id: run.execution_id });
    if (grant.access === "HOST") {
      // the host replays at once, as before: it is one, authenticated, and a follow-up frame must
      // not overtake its replay. Replay and registration happen with no await in between: no
      // event can fall in a gap.
      this.outbox.flush();
      for (let after = grant.after; ; ) {
        const page = listEvents(this.ctx.storage.sql, after, REPLAY_PAGE_EVENTS);
        for (const frame of replayFrames(page)) sendText(server, frame);
        if (page.length < REPLAY_PAGE_EVENTS) break;
        after = page[page.length - 1].seq;
      }
    } else {
      this.replaying.add(server);
      void this.replaySocket(server, grant.after, grant.principal.type === "public");
    }
    this.presenceTimer.poke();
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Sends a socket the log after `after`, a page per turn (replay.ts). Live events skip it
   * meanwhile; each page is read right after the outbox is flushed and the last one (short) ends
   * the replay in the same turn, so no event is lost between replay and live, nor sent twice.
   */
  private async replaySocket(ws: WebSocket, after: number, anonymous: boolean) {
    try {
      for (;;) {
        if (ws.readyState !== WebSocket.OPEN) return;
        this.outbox.flush();
        const page = listEvents(this.ctx.storage.sql, after, REPLAY_PAGE_EVENTS);
        for (const frame of replayFrames(anonymous ? page.map(anonymousEvent) : page)) sendText(ws, frame);
        if (page.length < REPLAY_PAGE_EVENTS) return;
        after = page[page.length - 1].seq;
        await nextTurn();
      }
    } finally {
      this.replaying.delete(ws);
    }
  }

  private attachSse(grant: AttachGrant, conn: string): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const client: SseClient = { conn, principal: grant.principal, keyId: grant.keyId, ip: grant.ip, live: false };
    this.sse.set(writer, client);
    writer.closed.then(() => this.closeSse(writer), () => this.closeSse(writer));
    void this.replaySse(writer, client, grant.after);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" },
    });
  }

  /** Sends a stream the log after `after`, a page at a time as its reader takes them (`writer.ready`), then live events. */
  private async replaySse(writer: WritableStreamDefaultWriter<Uint8Array>, client: SseClient, after: number) {
    const anonymous = client.principal.type === "public";
    try {
      for (;;) {
        await writer.ready;
        if (!this.sse.has(writer)) return;
        this.outbox.flush();
        const page = listEvents(this.ctx.storage.sql, after, REPLAY_PAGE_EVENTS);
        if (page.length) writer.write(encoder.encode((anonymous ? page.map(anonymousEvent) : page).map(sseFrame).join(""))).catch(() => {});
        if (page.length < REPLAY_PAGE_EVENTS) {
          client.live = true;
          return;
        }
        after = page[page.length - 1].seq;
      }
    } catch {
      this.closeSse(writer); // the reader went away
    }
  }

  /** Ends a stream (or forgets one its reader ended), once. */
  private closeSse(writer: WritableStreamDefaultWriter<Uint8Array>) {
    const client = this.sse.get(writer);
    if (!client) return;
    this.sse.delete(writer);
    writer.close().catch(() => {});
    if (isTeamPrincipal(client.principal)) void forgetAttachment(this.env.DB, client.conn);
  }

  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer) {
    const who = stateOf(ws);
    const run = this.run;
    if (!who || !run) return ws.close(1011, "session state missing; reconnect");
    let frame: ClientFrame;
    try {
      frame = ClientFrame.parse(JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw)));
    } catch (err) {
      return ws.close(1008, `bad frame: ${err instanceof SyntaxError ? "not JSON" : "not a valid client frame"}`);
    }
    const ref = { runId: run.id, teamId: run.team_id };
    const refuse = (message: string) => send(ws, { type: "error", ref: frame.ref, code: "not_authorized", message });
    switch (frame.type) {
      case "ping":
        return send(ws, { type: "pong", ref: frame.ref });
      case "followup":
      case "cancel": {
        if (who.access !== "EDITOR") return refuse(`${frame.type} needs EDITOR access; this connection has ${who.access}`);
        // what the connection was granted is not enough: steering is authorized against D1 as it is now
        const now = await standingOf(this.env.DB, { ...ref, principal: who.principal, keyId: who.key_id });
        if (now.access !== "EDITOR") {
          refuse(`${frame.type} needs EDITOR access, and this connection's has ended: ${now.access === "NONE" ? now.why : "its principal may only watch the run now"}`);
          if (now.access === "NONE") ws.close(4003, `access to this run ended: ${now.why}`);
          else ws.serializeAttachment({ ...who, access: "VIEWER" }); // it watches on
          return;
        }
        const result = frame.type === "cancel" ? await this.cancel(ref, who.principal) : await this.followup(ref, who.principal, frame, { delegated: !now.personal });
        return result.ok ? send(ws, { type: "ack", ref: frame.ref, seqs: [result.seq] }) : send(ws, { type: "error", ref: frame.ref, code: result.code, message: result.message });
      }
      case "append": {
        if (who.access !== "HOST") return refuse("only the run's host may append events");
        if (who.execution_id !== run.execution_id) return refuse(`this connection holds execution ${who.execution_id ?? "?"} of the run, not the current ${run.execution_id}`);
        const result = await this.append(ref, who.principal, frame.events);
        return result.ok
          ? send(ws, { type: "ack", ref: frame.ref, seqs: result.seqs, refused: result.refused })
          : send(ws, { type: "error", ref: frame.ref, code: result.code, message: result.message });
      }
    }
  }

  async webSocketClose(ws: WebSocket, code: number) {
    this.left(ws);
    try {
      ws.close(code === 1005 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  async webSocketError(ws: WebSocket) {
    this.left(ws);
  }

  /** A socket went away: the others are told (coalesced), and it leaves `live_attachments`. */
  private left(ws: WebSocket) {
    this.replaying.delete(ws);
    this.presenceTimer.poke();
    const s = stateOf(ws);
    if (s && s.access !== "HOST" && isTeamPrincipal(s.principal)) void forgetAttachment(this.env.DB, s.conn);
  }

  /** One presence frame to every socket: the public link's show no ids (see lib/anonymous.ts). */
  private sendPresence() {
    const sockets = this.ctx.getWebSockets();
    const publicOnes = new Set(this.ctx.getWebSockets(PUBLIC_TAG));
    broadcast(sockets.filter((ws) => !publicOnes.has(ws)), presence(sockets));
    if (publicOnes.size) broadcast([...publicOnes], presence(sockets, anonymousActor));
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  private ok(run: RunRecord, seq: number): SessionResult & { ok: true } {
    return { ok: true, state: run.state, seq, execution_id: run.execution_id };
  }

  /** Appends events (and applies `mutate` to the run) in one transaction, then publishes them. */
  private record(run: RunRecord, entries: EventEntry[], mutate?: () => void): RunEvent[] {
    const now = Date.now();
    const written = this.ctx.storage.transactionSync(() => {
      const out = entries.map((e) => appendEvent(this.ctx.storage.sql, { ...e, at: now, execution_id: run.execution_id }));
      mutate?.();
      updateRun(this.ctx.storage.sql, run);
      return out;
    });
    this.outbox.add(written);
    return written;
  }

  /**
   * Sends persisted events to every client past its replay: one `event` frame, or one `events`
   * frame for several; the public link's with anonymous actors (lib/anonymous.ts).
   */
  private deliver(events: RunEvent[]) {
    const frameOf = (list: RunEvent[]): ServerFrame => (list.length === 1 ? { type: "event", event: list[0] } : { type: "events", events: list });
    const publicOnes = new Set(this.ctx.getWebSockets(PUBLIC_TAG));
    const live = this.ctx.getWebSockets().filter((ws) => !this.replaying.has(ws));
    broadcast(live.filter((ws) => !publicOnes.has(ws)), frameOf(events));
    const anonymous = publicOnes.size || [...this.sse.values()].some((c) => c.principal.type === "public") ? events.map(anonymousEvent) : events;
    if (publicOnes.size) broadcast(live.filter((ws) => publicOnes.has(ws)), frameOf(anonymous));
    if (this.sse.size) {
      const bytes = encoder.encode(events.map(sseFrame).join(""));
      const anonymousBytes = anonymous === events ? bytes : encoder.encode(anonymous.map(sseFrame).join(""));
      for (const [w, c] of this.sse) {
        if (c.live) w.write(c.principal.type === "public" ? anonymousBytes : bytes).catch(() => this.closeSse(w));
      }
    }
  }

  private create(input: RunInit, times?: { updated_at: number; started_at: number | null; ended_at: number | null }): number {
    const sql = this.ctx.storage.sql;
    const run: RunRecord = {
      id: input.runId,
      team_id: input.teamId,
      state: input.state,
      status_message: input.statusMessage,
      cancel_requested_at: null,
      created_at: input.createdAt,
      updated_at: times?.updated_at ?? input.createdAt,
      started_at: times?.started_at ?? null,
      ended_at: times?.ended_at ?? null,
      summary_seq: 0,
      synced_seq: 0,
      execution_id: 1,
      host_seq: 0,
      archived_seq: 0,
      pool: input.pool ?? "warp",
      max_run_ms: null,
      deadline_at: null,
      timed_out_at: null,
      lease_until: input.pool === LOCAL_POOL ? input.createdAt + getConfig(this.env).LOCAL_RUN_LEASE_MS : null,
      started_by: input.actor,
    };
    const seq = this.ctx.storage.transactionSync(() => {
      const e = appendEvent(sql, {
        type: "run.created",
        at: input.createdAt,
        actor: input.actor,
        execution_id: 1,
        payload: {
          state: input.state,
          ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
          ...(input.statusMessage ? { status_message: input.statusMessage } : {}),
        },
      });
      // the D1 row was written with this very summary by createRun (or is where it came from)
      run.summary_seq = run.synced_seq = e.seq;
      insertRun(sql, run);
      return e.seq;
    });
    this.run = run;
    this.d1 = d1Columns(run);
    return seq;
  }

  /**
   * The stored run, or, on this session's first use, the run as its D1 row has it. A run's session
   * opens on first use, not with the run: its host taking it, a client attaching, reading its
   * events, a follow-up, a cancel. Until then the D1 row is the whole of the run (a QUEUED run,
   * the creation in its columns, why it waits in `status_message`), and the log starts from it.
   */
  private async load(ref: RunRef): Promise<RunRecord | null> {
    if (this.run) return this.run.id === ref.runId && this.run.team_id === ref.teamId ? this.run : null;
    const row = await readRunRow(this.env.DB, ref.runId, ref.teamId);
    if (!row || this.run) return this.run;
    const creator: EventActor = row.creator_id === "system" ? { type: "system", id: "system" } : { type: row.creator_type, id: row.creator_id };
    this.create(
      {
        runId: row.id,
        teamId: row.team_id,
        state: row.state as RunState,
        createdAt: row.created_at,
        prompt: row.prompt,
        pool: row.execution_location === "LOCAL" ? LOCAL_POOL : poolOf(row.worker_host),
        statusMessage: row.status_message ? JSON.parse(row.status_message) : null,
        actor: creator,
      },
      { updated_at: row.updated_at, started_at: row.started_at, ended_at: row.ended_at },
    );
    return this.run;
  }

  /**
   * Someone looks at a QUEUED run (reads its events, attaches): from now on its pool tells this
   * session, not only the D1 row, why the run waits, so what they see stays live. Asked once per
   * instance; the pool tells the sessions it opened itself (a dispatch, a requeue) unasked.
   */
  private async watchLine(run: RunRecord) {
    if (this.watching || run.state !== "QUEUED" || run.pool === LOCAL_POOL) return;
    this.watching = true;
    await this.tellPool(run, async (pool) => {
      const { told } = await pool.watch(run.id);
      if (told) await this.waiting({ runId: run.id, teamId: run.team_id }, { message: told });
    });
  }

  /**
   * Sends the run's current execution to the `RUNS` queue, whose consumer offers it to the run's
   * pool. A failed send is logged, not thrown: the run is committed, and an offer is idempotent,
   * so sending again (the next follow-up, or an operator) is always safe.
   */
  private async dispatchExecution(run: RunRecord) {
    const msg: DispatchMessage = { kind: "dispatch", run_id: run.id, team_id: run.team_id, pool: run.pool, execution_id: run.execution_id, session_open: true };
    try {
      await this.env.RUNS.send(msg, { contentType: "json" });
    } catch (err) {
      log.error("dispatch send failed", { run_id: run.id, execution_id: run.execution_id, error: err });
    }
  }

  /** `starter`: who starts the execution a `reopen` begins (the follow-up's sender, see `followup`). */
  private async apply(run: RunRecord, command: RunCommand, actor: EventActor, statusMessage: RunStatusMessage | null, starter: Starter = actor): Promise<SessionResult> {
    const t = transition(run.state, command);
    if (!t.ok) return { ok: false, code: "invalid_request", message: t.reason };
    const now = Date.now();
    // a reopened run starts its next execution, whose host numbers its events from 1 again
    const nextExecution = command === "reopen" ? { execution_id: run.execution_id + 1 } : {};
    const payload = { from: t.from, to: t.to, command, ...(statusMessage ? { status_message: statusMessage } : {}), ...nextExecution };
    const [e] = this.record(
      run,
      [{ type: "run.state_changed", actor, payload }],
      () => {
        if (nextExecution.execution_id) {
          run.execution_id = nextExecution.execution_id;
          run.host_seq = 0;
          run.started_by = starter; // the follow-up's sender
        }
        run.state = t.to;
        run.status_message = statusMessage;
        run.updated_at = now;
        if (t.to === "INPROGRESS" && run.started_at === null) run.started_at = now;
        if (command === "start") run.deadline_at = run.max_run_ms ? now + run.max_run_ms : null;
        run.ended_at = isTerminal(t.to) ? now : null;
        // a new execution (or another offer) starts with no stop pending
        if (t.to === "QUEUED") run.cancel_requested_at = run.timed_out_at = run.deadline_at = null;
        run.summary_seq = lastSeq(this.ctx.storage.sql);
      },
    );
    await this.syncSummary();
    if (isTerminal(t.to) || nextExecution.execution_id) this.dropEndedHolders(run);
    if (isTerminal(t.to)) await this.archive();
    else await this.armTimers();
    // whoever builds the assignment next needs to know whose execution it is
    return { ...this.ok(run, e.seq), ...(command === "dispatch" ? { started_by: run.started_by } : {}) };
  }

  /** The execution a HOST socket held ended (or a newer one began): its token grants nothing more, so it goes. */
  private dropEndedHolders(run: RunRecord) {
    this.outbox.flush(); // they get the events of their execution's end first
    for (const ws of this.ctx.getWebSockets("HOST")) {
      if (!isTerminal(run.state) && stateOf(ws)?.execution_id === run.execution_id) continue;
      ws.close(4001, "this execution of the run ended; its HOST token no longer attaches");
    }
    for (const [writer, client] of this.sse) {
      if (client.principal.type !== "host") continue;
      this.sse.delete(writer);
      writer.close().catch(() => {});
    }
  }

  // ── timers: the run-time limit, and hosts that never confirm a stop ──────────────────────

  /** When the next timer of an active run is due (null: none). */
  private nextTimer(run: RunRecord): number | null {
    if (isTerminal(run.state)) return null;
    const grace = getConfig(this.env).CANCEL_GRACE_MS;
    const due = [
      run.timed_out_at === null ? run.deadline_at : run.timed_out_at + grace,
      run.cancel_requested_at === null ? null : run.cancel_requested_at + grace,
      run.lease_until,
    ].filter((t): t is number => t !== null);
    return due.length ? Math.min(...due) : null;
  }

  private async armTimers() {
    const at = this.run && this.nextTimer(this.run);
    if (!at) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * A run past its deadline is told to stop (its host gets `task_cancellation`) and ends FAILED
   * with `budget_exceeded` when the host confirms. A stop or cancel the host does not confirm
   * within the grace ends the run anyway, and the pool frees the host's slot.
   */
  private async fireTimers() {
    const run = this.run;
    if (!run || isTerminal(run.state)) return;
    const now = Date.now();
    const grace = getConfig(this.env).CANCEL_GRACE_MS;
    const unconfirmed = `the host did not confirm within ${Math.round(grace / 1000)} s that it stopped`;
    if (run.lease_until !== null && now >= run.lease_until) {
      const silent = Math.round(getConfig(this.env).LOCAL_RUN_LEASE_MS / 1000);
      await this.apply(run, run.cancel_requested_at !== null ? "cancel" : "error", LIMITS, {
        message: `The CLI running this LOCAL run stopped reporting for ${silent} s (its machine went offline, or the process was killed); the run was ended. Its events up to then are kept`,
        error_code: "resource_unavailable",
        retryable: true,
      });
    } else if (run.timed_out_at !== null && now >= run.timed_out_at + grace) {
      const status = timeoutStatus(run);
      await this.apply(run, "fail", LIMITS, { ...status, message: `${status.message} (${unconfirmed})` });
      await this.tellPool(run, (pool) => pool.release(run.id));
    } else if (run.timed_out_at === null && run.cancel_requested_at !== null && now >= run.cancel_requested_at + grace) {
      await this.apply(run, "cancel", LIMITS, { message: `Cancelled: ${unconfirmed}; it was told to stop` });
      await this.tellPool(run, (pool) => pool.release(run.id));
    } else if (run.timed_out_at === null && run.deadline_at !== null && now >= run.deadline_at) {
      this.record(run, [{ type: "run.cancel_requested", actor: LIMITS, payload: { state: run.state } }], () => {
        run.timed_out_at = now;
      });
      await this.tellPool(run, (pool) => pool.cancel(run.id, timeoutStatus(run).message));
    }
  }

  /**
   * Brings the run's D1 row up to date. Writes run one at a time, in order, so each is computed
   * against what the previous one left (see `d1`).
   */
  private syncSummary(): Promise<void> {
    const next = this.syncing.then(() => this.writeSummaryNow());
    this.syncing = next.catch(() => {});
    return next;
  }

  private async writeSummaryNow() {
    const run = this.run;
    if (!run || run.synced_seq >= run.summary_seq) return;
    const target = run.summary_seq;
    try {
      const written = d1Columns(run);
      const took = await writeSummary(this.env.DB, run, this.d1);
      this.d1 = took ? written : null;
      if (target > run.synced_seq) {
        run.synced_seq = target;
        updateRun(this.ctx.storage.sql, run);
      }
    } catch (err) {
      this.d1 = null; // the write may or may not have landed
      log.error("run summary write-back failed; retrying", { run_id: run.id, error: err });
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  /** Writes an ended run's whole log to R2, so its record outlives this object's storage. */
  private async archive() {
    const run = this.run;
    if (!run || !isTerminal(run.state)) return;
    const upTo = lastSeq(this.ctx.storage.sql);
    if (run.archived_seq >= upTo) return;
    try {
      await archiveTranscript(this.env.ARTIFACTS, run.id, listEvents(this.ctx.storage.sql, 0, Number.MAX_SAFE_INTEGER));
      run.archived_seq = Math.max(run.archived_seq, upTo);
      updateRun(this.ctx.storage.sql, run);
    } catch (err) {
      log.error("transcript archive failed; retrying", { run_id: run.id, error: err });
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
    }
  }
}

/** How a run that passed the team's maximum run time ends. */
function timeoutStatus(run: RunRecord): RunStatusMessage {
  const limit = run.max_run_ms ?? 0;
  const human = limit % 3_600_000 === 0 ? `${limit / 3_600_000} h` : limit % 60_000 === 0 ? `${limit / 60_000} min` : `${Math.round(limit / 1000)} s`;
  return {
    message: `Stopped: the run passed the team's maximum run time of ${human}; an admin can raise limits.max_run_time_seconds with PATCH /api/v1/team`,
    error_code: "budget_exceeded",
    retryable: false,
  };
}

const notFound = (ref: RunRef): Refusal => ({ ok: false, code: "resource_not_found", message: `run ${ref.runId} was not found` });
const sseFrame = (e: RunEvent) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
