// The pool's host connections: hibernating websockets tagged "host", each carrying its state in
// its attachment (the only per-socket state that survives hibernation).
import { type HostCli, HostMessage, type HostInfo, type ServerHostMessage } from "@ambit/protocol";
import { getConfig } from "../../src/env.ts";
import { log } from "../../src/lib/log.ts";
import type { BoundRun } from "./admission.ts";
import type { HostLoad } from "./choose.ts";
import type { HeldEntry } from "./storage.ts";

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

export type HostState = {
  conn: string;
  worker_id: string;
  capacity: number;
  labels: string[];
  version: string | null;
  /** the vendor CLIs it has (absent in states saved before hosts said so) */
  clis?: HostCli[];
  connected_at: number;
  last_seen_at: number;
  hello: boolean;
  /** who connected it (`container:<run>` for a platform runner container), and with which API key */
  principal?: string;
  key_id?: string;
  /** a runner container's connection: capacity 1, only the `bound` run, once (`served` once it was given it) */
  single?: boolean;
  bound?: BoundRun;
  served?: boolean;
};
export type HostSocket = { ws: WebSocket; state: HostState };

/** Defaults of the `HOST_HEARTBEAT_MS` and `HOST_LOST_GRACE_MS` vars (see src/env.ts). */
export const HEARTBEAT_MS = 10_000;
/** A host silent for three heartbeats is considered gone; a run it held in progress is lost after the lost grace more. */
export const SILENT_MS = 3 * HEARTBEAT_MS;
export const LOST_GRACE_MS = 30_000;

export function timings(env: Env) {
  const c = getConfig(env);
  return {
    heartbeat: c.HOST_HEARTBEAT_MS,
    silent: 3 * c.HOST_HEARTBEAT_MS,
    lostGrace: c.HOST_LOST_GRACE_MS,
  };
}

/** The open host connections that have a state (not yet forgotten by `forget`). */
export function hostSockets(ctx: DurableObjectState): HostSocket[] {
  return ctx
    .getWebSockets("host")
    .filter((ws) => ws.readyState === WebSocket.OPEN)
    .map((ws) => ({ ws, state: ws.deserializeAttachment() as HostState | null }))
    .filter((s): s is HostSocket => s.state !== null);
}

export const socketOf = (ctx: DurableObjectState, conn: string) =>
  hostSockets(ctx).find((s) => s.state.conn === conn)?.ws;

export function send(ws: WebSocket, msg: ServerHostMessage) {
  try {
    ws.send(JSON.stringify(msg));
  } catch {
    /* closing */
  }
}

export function close(ws: WebSocket, code: number, reason: string) {
  try {
    ws.close(code, reason);
  } catch {
    /* gone */
  }
}

/** Accepts an authenticated host's websocket and welcomes it; its state waits for its `hello`. */
export function acceptHost(
  ctx: DurableObjectState,
  grant: HostGrant,
  heartbeatMs: number,
): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  const now = Date.now();
  const state: HostState = {
    conn: crypto.randomUUID(),
    worker_id: grant.workerId,
    capacity: 0,
    labels: [],
    version: null,
    connected_at: now,
    last_seen_at: now,
    hello: false,
    principal: grant.principal.id,
    ...(grant.container ? { single: true, bound: grant.container } : {}),
    ...(grant.keyId ? { key_id: grant.keyId } : {}),
  };
  ctx.acceptWebSocket(server, ["host"]);
  server.serializeAttachment(state);
  send(server, {
    type: "welcome",
    data: {
      worker_id: grant.workerId,
      connection_id: state.conn,
      heartbeat_interval_ms: heartbeatMs,
    },
  });
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * One frame of a host, parsed, with its connection's state (seen now, saved). Null when there is
 * nothing to act on: the connection is closed (1008 for a bad frame, 1011 without a state).
 */
export function readFrame(
  ws: WebSocket,
  raw: string | ArrayBuffer,
): { state: HostState; msg: HostMessage } | null {
  const state = ws.deserializeAttachment() as HostState | null;
  if (!state) return (ws.close(1011, "connection state missing; reconnect"), null);
  let msg: HostMessage;
  try {
    msg = HostMessage.parse(
      JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw)),
    );
  } catch (err) {
    return (
      ws.close(
        1008,
        err instanceof SyntaxError
          ? "bad message: not JSON"
          : "bad message: not a valid host message",
      ),
      null
    );
  }
  state.last_seen_at = Date.now();
  if (msg.type === "hello") {
    // a single-run connection serves one run at most, however much it offers (a reconnected one
    // that still holds its run has had it)
    if (state.single && msg.data.running.length) state.served = true;
    const capacity = state.single
      ? state.served
        ? 0
        : Math.min(1, msg.data.capacity)
      : msg.data.capacity;
    Object.assign(state, {
      capacity,
      labels: msg.data.labels,
      version: msg.data.version ?? null,
      clis: msg.data.clis,
      hello: true,
    });
  }
  ws.serializeAttachment(state);
  return { state, msg };
}

/** Takes a connection's state off it (it is gone): answers what it was, once. */
export function forget(ws: WebSocket): HostState | null {
  const state = ws.deserializeAttachment() as HostState | null;
  if (state) ws.serializeAttachment(null);
  return state;
}

/** A runner container's connection was given its one run: it takes nothing more. */
export const markServed = ({ ws, state }: HostSocket) =>
  ws.serializeAttachment({ ...state, served: true, capacity: 0 } satisfies HostState);

/** The connections that said hello, as the host choice sees them. */
export function hostLoads(
  sockets: HostSocket[],
  held: HeldEntry[],
  lastAssigned: Map<string, number>,
): HostLoad[] {
  return sockets.map(({ state }) => ({
    conn: state.conn,
    capacity: state.capacity,
    running: held.filter((h) => h.conn === state.conn).length,
    lastAssignedAt: lastAssigned.get(state.conn) ?? 0,
  }));
}

/** The connections as the `hosts` RPC answers them. */
export function hostInfos(sockets: HostSocket[], held: HeldEntry[]): HostInfo[] {
  return sockets.map(({ state }) => ({
    worker_id: state.worker_id,
    connection_id: state.conn,
    capacity: state.capacity,
    running: held.filter((h) => h.conn === state.conn).map((h) => h.run_id),
    labels: state.labels,
    version: state.version,
    clis: state.clis ?? [],
    connected_at: new Date(state.connected_at).toISOString(),
    last_seen_at: new Date(state.last_seen_at).toISOString(),
  }));
}

/** Closes the connections silent for longer than `silentMs` (1011); answers them. */
export function closeSilent(
  ctx: DurableObjectState,
  silentMs: number,
  now = Date.now(),
): WebSocket[] {
  const silent = hostSockets(ctx).filter(({ state }) => now - state.last_seen_at > silentMs);
  for (const { ws, state } of silent)
    close(ws, 1011, `no heartbeat for ${Math.round((now - state.last_seen_at) / 1000)} s`);
  return silent.map((s) => s.ws);
}

/**
 * Handles one connection's events one at a time, in the order they came: a handler awaits its
 * RunSession, and a `task_started` must not overtake the `task_claimed` sent just before it.
 */
export class Inbox {
  /** per connection: the tail of its events being handled */
  private tails = new Map<string, Promise<void>>();
  /** per connection: its messages waiting for the ones before them, in order */
  private waiting = new Map<string, Waiting[]>();

  constructor(private pool: () => string) {}

  /** A message, handled in order unless the handler of the one before took it (`takeNext`). */
  message(ws: WebSocket, raw: string | ArrayBuffer, work: () => Promise<unknown>): Promise<void> {
    const conn = connOf(ws);
    const item = { raw, taken: false };
    const line = this.waiting.get(conn) ?? [];
    line.push(item);
    this.waiting.set(conn, line);
    return this.inOrder(ws, async () => {
      line.splice(line.indexOf(item), 1);
      if (!line.length && this.waiting.get(conn) === line) this.waiting.delete(conn);
      if (!item.taken) await work();
    });
  }

  /**
   * Takes the connection's next waiting message off the line if `wanted` says so (it is then
   * never handled on its own): a handler may apply it together with its own.
   */
  takeNext(ws: WebSocket, wanted: (msg: HostMessage) => boolean): HostMessage | null {
    const next = this.waiting.get(connOf(ws))?.[0];
    if (!next) return null;
    const msg = parseMessage(next.raw);
    if (!msg || !wanted(msg)) return null;
    next.taken = true;
    return msg;
  }

  inOrder(ws: WebSocket, work: () => Promise<unknown>): Promise<void> {
    const conn = connOf(ws);
    const done = (this.tails.get(conn) ?? Promise.resolve()).then(work).then(
      () => {},
      (err) => log.error("host message failed", { pool: this.pool(), error: err }),
    );
    this.tails.set(conn, done);
    void done.then(() => this.tails.get(conn) === done && this.tails.delete(conn));
    return done;
  }
}

type Waiting = { raw: string | ArrayBuffer; taken: boolean };

const connOf = (ws: WebSocket) => (ws.deserializeAttachment() as HostState | null)?.conn ?? "";

/** A host message, or null if it is not one (its own handling closes the connection then). */
function parseMessage(raw: string | ArrayBuffer): HostMessage | null {
  try {
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    const parsed = HostMessage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
