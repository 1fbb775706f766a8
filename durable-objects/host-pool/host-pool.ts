import { DurableObject } from "cloudflare:workers";
import { type EventActor, HostMessage, type HostInfo, PLATFORM_POOL, type ServerHostMessage, type TaskAssignment } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { runSession } from "../stubs.ts";
import { buildAssignment, type Holder } from "./assignment.ts";
import { chooseHost, type HostLoad } from "./choose.ts";
import { admitContainer, type BoundRun, containerPrincipal, hostKeyAdmits, mayAdopt, mayTake, ownRunsWaiting } from "./admission.ts";
import { type PlatformHosting, platformHosting, startWaitingContainers } from "./containers.ts";
import { applyHostReport } from "./host-report.ts";
import { LineRefresh } from "./line-refresh.ts";
import { lineReason } from "./line-status.ts";
import { readTeamLoad, type TeamLoad } from "./team-load.ts";
import { WaitWrites } from "../run-session/summary.ts";
import {
  containerStopped as markContainerStopped, dropHeld, dropLine, enqueue, heldAll, heldByConn, heldGet, hold, type HeldEntry, type LineEntry, lineFirst, lineGet, markSession,
  migrate, pruneSessions, sessionOpen,
} from "./storage.ts";
import { log } from "../../src/lib/log.ts";

/** An execution of a run to put in line (a `DispatchMessage`). */
export type Offer = { runId: string; teamId: string; pool: string; executionId: number; sessionOpen?: boolean };
export type OfferResult = { ok: true; status: "waiting" | "assigned" | "duplicate" | "ended" };

/** What the Worker tells the pool about a host connection it authenticated. */
export type HostGrant = {
  teamId: string;
  pool: string;
  workerId: string;
  principal: { type: "user" | "service_account" | "host"; id: string };
  /** a platform runner container, whose credential names the one run execution it may take (see admission.ts) */
  container?: BoundRun;
  /** the API key it connected with: checked again before each run it is given */
  keyId?: string;
};
export const HOST_GRANT_HEADER = "x-ambit-host";

type HostState = {
  conn: string; worker_id: string; capacity: number; labels: string[]; version: string | null; connected_at: number; last_seen_at: number; hello: boolean;
  /** who connected it (`container:<run>` for a platform runner container), and with which API key */
  principal?: string;
  key_id?: string;
  /** a runner container's connection: capacity 1, only the `bound` run, once (`served` once it was given it) */
  single?: boolean;
  bound?: BoundRun;
  served?: boolean;
};

/** Defaults of the `HOST_HEARTBEAT_MS` and `HOST_LOST_GRACE_MS` vars (see src/env.ts). */
export const HEARTBEAT_MS = 10_000;
/** A host silent for three heartbeats is considered gone; a run it held in progress is lost after the lost grace more. */
export const SILENT_MS = 3 * HEARTBEAT_MS;
export const LOST_GRACE_MS = 30_000;
/** While the team is at its concurrency limit, how often the pool looks again (runs of other pools end unseen). */
export const CAPACITY_POLL_MS = 5_000;
/** After a runner container failed to start, or stopped while its run still waits, when the pool tries again. */
export const CONTAINER_RETRY_MS = 30_000;
/** Containers started for one attempt of a run that all stopped without it before it ends ERROR. */
export const MAX_CONTAINER_STARTS = 3;
/** Offers of one run (rejections, hosts lost before it started) before it ends ERROR. */
export const MAX_ATTEMPTS = 3;
/** A session that asked to be told about a run that never came into line is forgotten after this. */
export const SESSION_MARK_TTL_MS = 3_600_000;
/** When some waiting runs could not be told why they wait (their session call failed), when the pool tries again. */
export const LINE_RETRY_MS = 5_000;

const SYSTEM = { type: "system" as const, id: "dispatch" };

/**
 * One per team and worker host: the connected hosts (hibernating websockets), the runs waiting in
 * line (SQLite), and which connection holds which run. It assigns fairly within capacity and keeps
 * each run's `RunSession` told of every step.
 */
export class HostPool extends DurableObject<Env> {
  private pumping = false;
  private pumpAgain = false;
  private lastAssigned = new Map<string, number>();
  private lastEnqueuedAt = 0;
  /** per connection: the tail of its events being handled (see `inOrder`) */
  private inbox = new Map<string, Promise<void>>();
  private pool = "";
  private teamId = "";
  /** set while the head of the line waits for the team's concurrency limit */
  private atLimit: TeamLoad | null = null;
  /** how the platform pool gets hosts (PLATFORM_HOSTS); tests replace it to watch the starts */
  hosting: PlatformHosting | null = null;
  /** wait messages of runs that have no session yet, written to their D1 rows together */
  private waitWrites = new WaitWrites(this.env.DB);
  /** keeps every waiting run's status_message true as the line moves */
  private line = new LineRefresh({
    sql: this.ctx.storage.sql,
    reason: () => lineReason(this.pool, this.hostLoads(), this.atLimit),
    // a run whose session does not exist yet is told through its D1 row, which is what its
    // session starts from when something opens it (RunSession.load); creating a session just to
    // say "no host connected" would cost every queued run a Durable Object of its own
    waiting: (ref, message) =>
      sessionOpen(this.ctx.storage.sql, ref.runId) ? this.session(ref.runId).waiting(ref, { message }) : this.waitWrites.write(ref, message),
  });

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
    const sql = this.ctx.storage.sql;
    const fresh = inputs.map((input) => {
      this.identify(input.teamId, input.pool);
      const held = heldGet(sql, input.runId);
      if ((held && held.execution_id >= input.executionId) || lineGet(sql, input.runId)) return false;
      if (input.sessionOpen) markSession(sql, input.runId);
      // in line before its session is asked anything, so a cancel from now on finds it there
      const entry = { run_id: input.runId, team_id: input.teamId, execution_id: input.executionId, enqueued_at: this.enqueueTime(), attempts: 0 };
      enqueue(sql, entry);
      this.line.enqueued(entry);
      return true;
    });
    await this.pump(); // a run that ended meanwhile refuses `dispatch` and leaves the line
    return Promise.all(
      inputs.map(async (input, i): Promise<OfferResult> => {
        if (!fresh[i]) return { ok: true, status: "duplicate" };
        if (heldGet(sql, input.runId)) return { ok: true, status: "assigned" };
        // telling it why it waits also says whether it still may (a run cancelled meanwhile
        // leaves the line): one call per offer, not two
        if (await this.line.tell(input.runId)) return { ok: true, status: "waiting" };
        return { ok: true, status: heldGet(sql, input.runId) ? "assigned" : "ended" };
      }),
    );
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

  /** Takes a run out of line, or tells the host holding it to stop. */
  async cancel(runId: string, reason: string): Promise<{ ok: true; was: "waiting" | "held" | "none" }> {
    const sql = this.ctx.storage.sql;
    if (lineGet(sql, runId)) {
      dropLine(sql, runId);
      this.refreshLine(); // the runs behind it moved up
      return { ok: true, was: "waiting" };
    }
    const held = heldGet(sql, runId);
    if (!held) return { ok: true, was: "none" };
    const ws = this.socketOf(held.conn);
    if (ws) this.send(ws, { type: "task_cancellation", data: { task_id: runId, reason } });
    if (!held.claimed) {
      // never claimed: nothing runs yet, the RunSession already ended it
      dropHeld(sql, runId);
      await this.pump();
    }
    return { ok: true, was: "held" };
  }

  /** Frees the slot of a run that ended without its host confirming (see RunSession timers). */
  async release(runId: string): Promise<{ ok: true; released: boolean }> {
    const held = heldGet(this.ctx.storage.sql, runId);
    if (!held) return { ok: true, released: false };
    dropHeld(this.ctx.storage.sql, runId);
    await this.pump();
    return { ok: true, released: true };
  }

  /** Every connected host connection with its capacity and running runs. */
  async hosts(): Promise<HostInfo[]> {
    const held = heldAll(this.ctx.storage.sql);
    return this.hostSockets().map(({ state }) => ({
      worker_id: state.worker_id,
      connection_id: state.conn,
      capacity: state.capacity,
      running: held.filter((h) => h.conn === state.conn).map((h) => h.run_id),
      labels: state.labels,
      version: state.version,
      connected_at: new Date(state.connected_at).toISOString(),
      last_seen_at: new Date(state.last_seen_at).toISOString(),
    }));
  }

  /**
   * Whether the runner container started for `runId` still has work: its connection holds its run,
   * or it has not connected yet and its run still waits. Asked by an idle `RunnerContainer`.
   */
  async containerWanted(runId: string): Promise<boolean> {
    const mine = this.hostSockets().filter((s) => s.state.principal === containerPrincipal(runId));
    if (mine.length) return heldAll(this.ctx.storage.sql).some((h) => mine.some((s) => s.state.conn === h.conn));
    return lineGet(this.ctx.storage.sql, runId) !== null; // it can only ever take its own run
  }

  /**
   * The container started for `runId` stopped (its runner exited). While the run still waits
   * (the runner never took it: refused, crashed, misconfigured), another is started after
   * CONTAINER_RETRY_MS, up to MAX_CONTAINER_STARTS; then the run ends ERROR saying why.
   */
  async containerStopped(runId: string, exitCode: number): Promise<{ ok: true; action: "none" | "retry" | "ended" }> {
    const sql = this.ctx.storage.sql;
    const entry = lineGet(sql, runId);
    const starts = entry ? markContainerStopped(sql, runId) : null;
    if (!entry || starts === null) return { ok: true, action: "none" };
    if (starts < MAX_CONTAINER_STARTS) {
      await this.scheduleAlarm(Date.now() + CONTAINER_RETRY_MS);
      return { ok: true, action: "retry" };
    }
    dropLine(sql, runId);
    this.refreshLine();
    await this.session(runId).command({ runId, teamId: entry.team_id }, "error", SYSTEM, {
      message: `${starts} runner containers stopped without taking this run (last exit code ${exitCode}); check PUBLIC_URL and the container logs (wrangler tail), then start a new run`,
      error_code: "resource_unavailable",
      retryable: true,
    });
    return { ok: true, action: "ended" };
  }

  // ── host sockets ─────────────────────────────────────────────────────────────────────────

  async fetch(request: Request): Promise<Response> {
    const grant = JSON.parse(request.headers.get(HOST_GRANT_HEADER) ?? "null") as HostGrant | null;
    if (!grant || request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a host websocket", { status: 400 });
    this.identify(grant.teamId, grant.pool);
    if (grant.container) {
      // no await from this check to acceptWebSocket: a second connection cannot slip in between
      const admitted = admitContainer(this.ctx.storage.sql, this.hostSockets().map((s) => s.state), grant.container);
      if (!admitted.ok) return Response.json({ ok: false, code: admitted.code, message: admitted.message }, { status: admitted.status });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    const now = Date.now();
    const state: HostState = {
      conn: crypto.randomUUID(), worker_id: grant.workerId, capacity: 0, labels: [], version: null, connected_at: now, last_seen_at: now, hello: false,
      principal: grant.principal.id, ...(grant.container ? { single: true, bound: grant.container } : {}), ...(grant.keyId ? { key_id: grant.keyId } : {}),
    };
    this.ctx.acceptWebSocket(server, ["host"]);
    server.serializeAttachment(state);
    this.send(server, { type: "welcome", data: { worker_id: grant.workerId, connection_id: state.conn, heartbeat_interval_ms: this.timings().heartbeat } });
    await this.scheduleAlarm(now + this.timings().silent);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer) {
    await this.inOrder(ws, () => this.onMessage(ws, raw));
  }

  /**
   * Handles one connection's events one at a time, in the order they came: a handler awaits its
   * RunSession, and a `task_started` must not overtake the `task_claimed` sent just before it.
   */
  private inOrder(ws: WebSocket, work: () => Promise<unknown>): Promise<void> {
    const conn = (ws.deserializeAttachment() as HostState | null)?.conn ?? "";
    const done = (this.inbox.get(conn) ?? Promise.resolve()).then(work).then(
      () => {},
      (err) => log.error("host message failed", { pool: this.pool, error: err }),
    );
    this.inbox.set(conn, done);
    void done.then(() => this.inbox.get(conn) === done && this.inbox.delete(conn));
    return done;
  }

  private async onMessage(ws: WebSocket, raw: string | ArrayBuffer) {
    const state = ws.deserializeAttachment() as HostState | null;
    if (!state) return ws.close(1011, "connection state missing; reconnect");
    let msg: HostMessage;
    try {
      msg = HostMessage.parse(JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw)));
    } catch (err) {
      return ws.close(1008, err instanceof SyntaxError ? "bad message: not JSON" : "bad message: not a valid host message");
    }
    state.last_seen_at = Date.now();
    if (msg.type === "hello") {
      // a single-run connection serves one run at most, however much it offers (a reconnected one
      // that still holds its run has had it)
      if (state.single && msg.data.running.length) state.served = true;
      const capacity = state.single ? (state.served ? 0 : Math.min(1, msg.data.capacity)) : msg.data.capacity;
      Object.assign(state, { capacity, labels: msg.data.labels, version: msg.data.version ?? null, hello: true });
      ws.serializeAttachment(state);
      this.adopt(state, msg.data.running.map((r) => r.task_id));
      await this.pump();
      return;
    }
    ws.serializeAttachment(state);
    if (msg.type === "heartbeat") return;
    const held = heldGet(this.ctx.storage.sql, msg.data.task_id);
    if (!held || held.conn !== state.conn) {
      return this.send(ws, { type: "error", data: { code: "resource_not_found", message: `this connection does not hold run ${msg.data.task_id}` } });
    }
    await this.onTaskMessage(ws, state, held, msg);
  }

  async webSocketClose(ws: WebSocket, code: number) {
    await this.inOrder(ws, () => this.hostGone(ws));
    try {
      ws.close(code === 1005 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  async webSocketError(ws: WebSocket) {
    await this.inOrder(ws, () => this.hostGone(ws));
  }

  /** Leases: silent hosts are closed; runs of hosts gone longer than the grace are lost. */
  async alarm() {
    const now = Date.now();
    const { heartbeat, silent, lostGrace } = this.timings();
    for (const { ws, state } of this.hostSockets()) {
      if (now - state.last_seen_at > silent) {
        try {
          ws.close(1011, `no heartbeat for ${Math.round((now - state.last_seen_at) / 1000)} s`);
        } catch {
          /* gone */
        }
        await this.hostGone(ws);
      }
    }
    const sql = this.ctx.storage.sql;
    for (const h of heldAll(sql)) {
      if (h.lost_at === null || now - h.lost_at < lostGrace) continue;
      dropHeld(sql, h.run_id);
      const heard = new Date(h.lost_at).toISOString();
      await this.session(h.run_id).hostLost({ runId: h.run_id, teamId: h.team_id }, SYSTEM, {
        cancelled: { message: `Cancelled: host ${h.worker_id} went away at ${heard} while the run was being cancelled` },
        error: {
          message: `Host ${h.worker_id} stopped answering (last heard at ${heard}) while it held this run; start a new run or send a follow-up to retry`,
          error_code: "resource_unavailable",
          retryable: true,
        },
      });
    }
    await this.pump();
    // also what a refresh that never finished (the object was evicted) left untold, anywhere in line
    this.line.behindChanged();
    const untold = await this.line.refresh();
    if (this.hostSockets().length || heldAll(sql).some((h) => h.lost_at !== null)) await this.scheduleAlarm(Date.now() + heartbeat);
    if (this.atLimit) await this.scheduleAlarm(Date.now() + CAPACITY_POLL_MS);
    if (untold) await this.scheduleAlarm(Date.now() + LINE_RETRY_MS);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private async onTaskMessage(ws: WebSocket, state: HostState, held: HeldEntry, msg: Exclude<HostMessage, { type: "hello" | "heartbeat" }>) {
    const sql = this.ctx.storage.sql;
    const ref = { runId: held.run_id, teamId: held.team_id };
    const session = this.session(held.run_id);
    const host = { type: "host" as const, id: state.worker_id };
    switch (msg.type) {
      case "task_claimed": {
        const r = await session.command(ref, "claim", host);
        if (!r.ok) {
          dropHeld(sql, held.run_id);
          this.send(ws, { type: "task_cancellation", data: { task_id: held.run_id, reason: r.message } });
        } else hold(sql, { ...held, claimed: 1 });
        break;
      }
      case "task_started":
      case "task_blocked":
      case "task_unblocked":
        await applyHostReport(session, ref, host, msg);
        break;
      case "task_rejected": {
        dropHeld(sql, held.run_id);
        await this.requeue(held, `host ${state.worker_id} rejected it: ${msg.data.reason}`);
        break;
      }
      case "task_completed":
      case "task_failed":
        dropHeld(sql, held.run_id);
        await applyHostReport(session, ref, host, msg);
        break;
    }
    await this.pump();
  }

  /** Hands a run back to the line, or ends it ERROR after MAX_ATTEMPTS offers. */
  private async requeue(held: HeldEntry, why: string) {
    const ref = { runId: held.run_id, teamId: held.team_id };
    const attempts = held.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) {
      await this.session(held.run_id).command(ref, "error", SYSTEM, {
        message: `Could not be started after ${attempts} offers to hosts (last: ${why})`,
        error_code: "resource_unavailable",
        retryable: true,
      });
      return;
    }
    const r = await this.session(held.run_id).command(ref, "requeue", SYSTEM, { message: `Queued again: ${why}` });
    if (!r.ok) return;
    const entry = { run_id: held.run_id, team_id: held.team_id, execution_id: held.execution_id, enqueued_at: 0, attempts };
    enqueue(this.ctx.storage.sql, entry);
    markSession(this.ctx.storage.sql, held.run_id); // it just answered the requeue
    this.line.enqueued(entry);
  }

  /** A reconnected host says which runs it still holds: those it may take over move to its new connection. */
  private adopt(state: HostState, runIds: string[]) {
    const sql = this.ctx.storage.sql;
    for (const id of runIds) {
      const h = heldGet(sql, id);
      if (h && mayAdopt(state, h)) hold(sql, { ...h, conn: state.conn, lost_at: null });
    }
  }

  private async hostGone(ws: WebSocket) {
    const state = ws.deserializeAttachment() as HostState | null;
    if (!state) return;
    ws.serializeAttachment(null);
    const sql = this.ctx.storage.sql;
    for (const h of heldByConn(sql, state.conn)) {
      if (!h.claimed) {
        dropHeld(sql, h.run_id);
        await this.requeue(h, `host ${state.worker_id} disconnected before claiming it`);
      } else if (h.lost_at === null) {
        hold(sql, { ...h, lost_at: Date.now() });
      }
    }
    await this.scheduleAlarm(Date.now() + this.timings().lostGrace);
    await this.pump();
  }

  /** Assigns waiting runs to hosts with free capacity until one of the two runs out. */
  private async pump() {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (await this.assignNext());
        await this.startContainers();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.refreshLine();
  }

  /**
   * Brings the waiting runs' messages up to date after the line or its reason changed, without
   * holding up the caller (an assignment, a host's report): the refresh runs behind it.
   */
  private refreshLine() {
    void this.line.refresh().then(
      (untold) => (untold ? this.scheduleAlarm(Date.now() + LINE_RETRY_MS) : undefined),
      (err) => log.error("line refresh failed", { pool: this.pool, error: err }),
    );
  }

  private async assignNext(): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    const sockets = this.hostSockets().filter((s) => s.state.hello);
    const held = heldAll(sql);
    const pick = this.nextPick(sockets, held);
    if (!pick) return false;
    const { next, choice } = pick;
    const target = sockets.find((s) => s.state.conn === choice.conn)!;
    const [load, keyHolds] = await Promise.all([readTeamLoad(this.env.DB, next.team_id, this.pool, held.length, getConfig(this.env)), hostKeyAdmits(this.env, this.teamId, target.state)]);
    if (!keyHolds) {
      // the run and its secrets go to no host whose key was revoked (or whose user lost the admin role) since it connected
      try {
        target.ws.close(4003, "the API key this host connected with was revoked, expired, or lost the admin role; reconnect with a valid admin key");
      } catch {
        /* gone */
      }
      await this.hostGone(target.ws);
      return true;
    }
    if (load.active >= load.maxConcurrentRuns) {
      // the team holds as many runs as it may: wait for one to end (here, or in another pool);
      // the line is told so by the refresh after the pump
      if (!this.atLimit) await this.scheduleAlarm(Date.now() + CAPACITY_POLL_MS);
      this.atLimit = load;
      return false;
    }
    this.atLimit = null;
    const ref = { runId: next.run_id, teamId: next.team_id };
    const dispatched = await this.session(next.run_id).command(ref, "dispatch", SYSTEM, {
      message: `Offered to host ${target.state.worker_id}; waiting for it to claim the run`,
    }, { maxRunMs: load.maxRunTimeSeconds * 1000 });
    if (!dispatched.ok) {
      dropLine(sql, next.run_id); // cancelled or ended meanwhile
      return true;
    }
    const assignment = await this.assignment(next.run_id, next.team_id, dispatched.execution_id, dispatched.started_by, { maxRunTimeSeconds: load.maxRunTimeSeconds, keyId: target.state.key_id });
    if (!assignment) {
      dropLine(sql, next.run_id);
      return true;
    }
    hold(sql, {
      run_id: next.run_id, team_id: next.team_id, execution_id: dispatched.execution_id, conn: target.state.conn,
      worker_id: target.state.worker_id, assigned_at: Date.now(), claimed: 0, lost_at: null, attempts: next.attempts, principal: target.state.principal ?? null,
    });
    this.lastAssigned.set(target.state.conn, Date.now());
    if (target.state.single) target.ws.serializeAttachment({ ...target.state, served: true, capacity: 0 } satisfies HostState);
    this.send(target.ws, { type: "task_assignment", data: assignment });
    return true;
  }

  /**
   * The run to assign next and where: the head of the line, to a host that may take it (any but a
   * runner container started for another run); else a run further back whose own runner container
   * is connected and free (it may take nothing else, so it takes no one's turn).
   */
  private nextPick(sockets: { ws: WebSocket; state: HostState }[], held: HeldEntry[]): { next: LineEntry; choice: HostLoad } | null {
    const sql = this.ctx.storage.sql;
    const head = lineFirst(sql);
    if (!head) return null;
    const choice = chooseHost(this.hostLoads(sockets.filter((s) => mayTake(s.state, head)), held));
    if (choice) return { next: head, choice };
    for (const { conn: s, entry } of ownRunsWaiting(sql, sockets)) {
      const own = chooseHost(this.hostLoads([s], held));
      if (own) return { next: entry, choice: own };
    }
    return null;
  }

  /**
   * PLATFORM_HOSTS=containers: every run still waiting in the platform pool after the hosts took
   * what they could gets one runner container, once (the `containers` table; a run handed back to
   * the line is a new attempt and gets a new one), as many as the team may still run: none while
   * it is at its concurrency limit; the rest are looked at again from the alarm.
   */
  private async startContainers() {
    if (this.pool !== PLATFORM_POOL) return;
    this.hosting ??= platformHosting(this.env);
    if (!this.hosting.starter) return;
    const sql = this.ctx.storage.sql;
    const room = async () => {
      if (this.atLimit) return 0;
      const load = await readTeamLoad(this.env.DB, this.teamId, this.pool, heldAll(sql).length, getConfig(this.env));
      return load.maxConcurrentRuns - load.active;
    };
    const { tried, failed, deferred } = await startWaitingContainers(sql, this.hosting.starter, room);
    if (tried) this.line.behindChanged(); // runs got a container (or lost one that failed): they are told so
    if (failed) await this.scheduleAlarm(Date.now() + CONTAINER_RETRY_MS);
    else if (deferred) await this.scheduleAlarm(Date.now() + CAPACITY_POLL_MS);
  }

  private async assignment(runId: string, teamId: string, executionId: number, startedBy: EventActor | undefined, token: Omit<Holder, "actor">): Promise<TaskAssignment | null> {
    const r = await buildAssignment(this.env, { runId, teamId, executionId, holder: { actor: { type: "host", id: this.pool }, ...token }, startedBy });
    if (r.ok) return r.assignment;
    if (r.code === "internal_error") {
      await this.session(runId).command({ runId, teamId }, "error", SYSTEM, { message: r.message, error_code: "internal_error", retryable: false });
    }
    return null;
  }

  /**
   * When a run joins the line: now, but always after the run before it, so runs offered in the
   * same millisecond (a batch) keep their order (the line is ordered by this, then by run id).
   */
  private enqueueTime() {
    this.lastEnqueuedAt = Math.max(Date.now(), this.lastEnqueuedAt + 1);
    return this.lastEnqueuedAt;
  }

  /** The connected hosts that said hello, as the host choice sees them. */
  private hostLoads(sockets = this.hostSockets().filter((s) => s.state.hello), held = heldAll(this.ctx.storage.sql)): HostLoad[] {
    return sockets.map(({ state }) => ({
      conn: state.conn,
      capacity: state.capacity,
      running: held.filter((h) => h.conn === state.conn).length,
      lastAssignedAt: this.lastAssigned.get(state.conn) ?? 0,
    }));
  }

  private hostSockets() {
    return this.ctx
      .getWebSockets("host")
      .filter((ws) => ws.readyState === WebSocket.OPEN)
      .map((ws) => ({ ws, state: ws.deserializeAttachment() as HostState | null }))
      .filter((s): s is { ws: WebSocket; state: HostState } => s.state !== null);
  }

  private socketOf(conn: string) {
    return this.hostSockets().find((s) => s.state.conn === conn)?.ws;
  }

  private session(runId: string) {
    return runSession(this.env, runId);
  }

  private send(ws: WebSocket, msg: ServerHostMessage) {
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      /* closing */
    }
  }

  private timings() {
    const c = getConfig(this.env);
    return { heartbeat: c.HOST_HEARTBEAT_MS, silent: 3 * c.HOST_HEARTBEAT_MS, lostGrace: c.HOST_LOST_GRACE_MS };
  }

  private identify(teamId: string, pool: string) {
    if (this.pool) return;
    this.pool = pool;
    this.teamId = teamId;
    this.ctx.storage.kv.put("pool", pool);
    this.ctx.storage.kv.put("team_id", teamId);
  }

  private async scheduleAlarm(at: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
