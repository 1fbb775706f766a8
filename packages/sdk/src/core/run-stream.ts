import type {
  AccessLevel,
  RunEvent,
  RunItem,
  RunState,
  ServerFrame,
  TerminalState,
} from "@ambit/protocol";
import type { AmbitCore } from "./client.ts";
import { APIError, AmbitError } from "./errors.ts";
import { path } from "./resource.ts";
import { retryDelayMs, sleep } from "./retry.ts";
import { parseSse } from "./sse.ts";

export type StreamTransport = "websocket" | "sse";

export type RunStreamOptions = {
  /** Replay events after this seq (default 0: the whole log), then follow live. */
  after?: number;
  /** `auto` (default): the session websocket when a global `WebSocket` exists, else Server-Sent Events. */
  transport?: "auto" | StreamTransport;
  /** End the iteration once the run is in a terminal state and every event up to it was yielded. Default true. */
  untilTerminal?: boolean;
  /** Consecutive failed reconnects before giving up. Default 10. */
  maxReconnects?: number;
  /** Websocket only: a connection silent this long (no event, no answer to our pings) is dropped and reopened. Default 45 000 ms. */
  idleTimeoutMs?: number;
  /** Stops the stream (the iteration ends quietly). */
  signal?: AbortSignal;
  /**
   * Told when a connection is up (`live`, after its `ready`) and when one dropped and a reconnect
   * is coming (`reconnecting`): for a "connection lost" banner.
   */
  onStatus?: (status: "live" | "reconnecting") => void;
  /** Websocket only: who is attached to the run, each time that changes. */
  onPresence?: (attached: Extract<ServerFrame, { type: "presence" }>["attached"]) => void;
};

/**
 * The protocol's `TERMINAL_STATES`, restated because the SDK takes only types from
 * `@ambit/protocol` (it bundles without it); tsc checks that the two name the same states.
 */
const TERMINAL: Record<TerminalState, true> = {
  SUCCEEDED: true,
  FAILED: true,
  ERROR: true,
  CANCELLED: true,
};

/** Where a connection starts: the run's state and last seq at that moment. */
type Tail = { state: RunState; lastSeq: number; access?: AccessLevel };
type Connection = { tail: Tail; frames: AsyncIterable<RunEvent[]>; close: () => void };

/**
 * A run's events in seq order, live: replays what came after `after`, then follows. A dropped
 * connection is reopened with `after` = the last seq yielded, so no event is missed or repeated.
 *
 * @example
 * const stream = client.agent.runs.stream(runId);
 * for await (const event of stream) console.log(event.seq, event.type, event.payload);
 * console.log(stream.state); // e.g. "SUCCEEDED"
 */
export class RunStream implements AsyncIterable<RunEvent> {
  /** The last seq yielded (or `after`). */
  lastSeq: number;
  /** The run's state as of the last event yielded. */
  state: RunState | undefined;
  /**
   * The log's last seq when the current connection opened: events up to it are the replay, later
   * ones are live (a screen may draw a replay in one go rather than as it arrives).
   */
  tailSeq: number | undefined;
  /** The caller's access to the session (`EDITOR` may send follow-ups), once connected. */
  access: AccessLevel | undefined;
  /** The transport in use. */
  readonly transport: StreamTransport;
  /** Connections opened after the first (reconnects). */
  reconnects = 0;
  private current?: Connection;

  private readonly client: AmbitCore;
  private readonly runId: string;
  private readonly options: RunStreamOptions;
  /** `/agent/runs/{id}`, or `/public/runs/{shareId}` for a public link (no key, no token). */
  private readonly base: string;
  private readonly publicLink: boolean;

  /** `runId` is a share id when `publicLink` is set: the run behind that link, read-only. */
  constructor(
    client: AmbitCore,
    runId: string,
    options: RunStreamOptions = {},
    publicLink = false,
  ) {
    this.client = client;
    this.runId = runId;
    this.options = options;
    this.publicLink = publicLink;
    this.base = publicLink ? path`/public/runs/${runId}` : path`/agent/runs/${runId}`;
    this.lastSeq = options.after ?? 0;
    const wanted = options.transport ?? "auto";
    this.transport =
      wanted === "auto"
        ? typeof globalThis.WebSocket === "function"
          ? "websocket"
          : "sse"
        : wanted;
  }

  /** Closes the open connection; the iteration then ends. */
  close() {
    this.closed = true;
    this.current?.close();
  }
  private closed = false;

  async *[Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    const { signal, untilTerminal = true, maxReconnects = 10 } = this.options;
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    let failures = 0;
    try {
      for (let first = true; !this.closed && !signal?.aborted; first = false) {
        if (!first) this.reconnects++;
        try {
          const conn = (this.current = await (this.transport === "websocket"
            ? this.openSocket()
            : this.openSse()));
          failures = 0;
          // the run's state at the tail of the log when we connected; replayed events rewrite it in order
          const tailSeq = conn.tail.lastSeq;
          this.tailSeq = tailSeq;
          this.access = conn.tail.access ?? this.access;
          this.state = conn.tail.state;
          this.options.onStatus?.("live");
          const ended = () =>
            untilTerminal && Object.hasOwn(TERMINAL, this.state!) && this.lastSeq >= tailSeq;
          if (ended()) return conn.close();
          for await (const batch of conn.frames) {
            for (const event of batch) {
              if (this.closed) return;
              if (event.seq <= this.lastSeq) continue;
              if (event.type === "run.state_changed") this.state = event.payload.to as RunState;
              else if (event.type === "run.created") this.state = event.payload.state as RunState;
              this.lastSeq = event.seq;
              yield event;
              if (ended()) return conn.close();
            }
          }
        } catch (err) {
          if (this.closed || signal?.aborted) return;
          if (!isTransient(err) || ++failures > maxReconnects) throw err;
        }
        if (!this.closed && !signal?.aborted) this.options.onStatus?.("reconnecting");
        if (this.closed || signal?.aborted) return;
        await sleep(retryDelayMs(Math.max(failures, 1)), signal).catch(() => {});
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.current?.close();
    }
  }

  private async openSocket(): Promise<Connection> {
    // a public link is its own credential: no token to mint, and the socket is read-only
    const minted = this.publicLink
      ? { access: "VIEWER" as const }
      : await this.client.post<{ token: string; access: AccessLevel }>(
          path`/agent/runs/${this.runId}/session-token`,
        );
    // built from our base URL rather than the answer's session_url: the address we reached the API at also reaches the socket
    const url = new URL(
      this.client
        .buildURL(`${this.base}/session`, {
          ...("token" in minted ? { token: minted.token } : {}),
          after: this.lastSeq,
        })
        .replace(/^http/, "ws"),
    );
    const ws = new WebSocket(url.toString());
    const channel = new Channel<RunEvent[]>();
    // a connection that died without a close (a sleeping laptop, a dropped NAT entry) is noticed by pinging it
    const idleMs = this.options.idleTimeoutMs ?? 45_000;
    let heardAt = Date.now();
    const watchdog = setInterval(
      () => {
        if (Date.now() - heardAt > idleMs) {
          // a dead link may never complete the close handshake: give up on it now rather than on its close event
          drop(new StreamDisconnected(`session socket silent for ${idleMs} ms`));
          ws.close(4001, "no answer to pings");
        } else if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
      },
      Math.max(100, Math.floor(idleMs / 3)),
    );
    let ready: (tail: Tail) => void;
    let failed: (err: unknown) => void;
    const opened = new Promise<Tail>((resolve, reject) => ((ready = resolve), (failed = reject)));
    ws.addEventListener("message", (msg) => {
      heardAt = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(msg.data)) as ServerFrame;
      } catch {
        return ws.close(4000, "not JSON"); // clients may only close with 1000 or 3000-4999
      }
      if (frame.type === "ready")
        ready({ state: frame.state, lastSeq: frame.last_seq, access: frame.access });
      else if (frame.type === "event") channel.push([frame.event]);
      else if (frame.type === "events") channel.push(frame.events);
      else if (frame.type === "presence") this.options.onPresence?.(frame.attached);
    });
    const drop = (err: StreamDisconnected) => {
      clearInterval(watchdog);
      failed(err);
      channel.end(this.closed ? undefined : err);
    };
    ws.addEventListener("close", (e) =>
      drop(
        new StreamDisconnected(
          `session socket closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`,
        ),
      ),
    );
    const tail = await opened;
    return {
      tail: { ...tail, access: tail.access ?? minted.access },
      frames: channel,
      close: () => ws.close(1000),
    };
  }

  private async openSse(): Promise<Connection> {
    const run = await this.client.get<RunItem>(this.base);
    const page = await this.client.get<{ last_seq: number }>(`${this.base}/events`, {
      query: { after: this.lastSeq, limit: 1 },
    });
    const controller = new AbortController();
    const response = await this.client
      .get(`${this.base}/events`, {
        query: { after: this.lastSeq },
        headers: { accept: "text/event-stream" },
        signal: controller.signal,
      })
      .asResponse();
    const body = response.body;
    if (!body) throw new StreamDisconnected("the event stream has no body");
    async function* frames() {
      for await (const msg of parseSse(body!)) yield [JSON.parse(msg.data) as RunEvent];
      throw new StreamDisconnected("the event stream ended");
    }
    return {
      tail: { state: run.state, lastSeq: page.last_seq },
      frames: frames(),
      close: () => controller.abort(),
    };
  }
}

/** The live connection went away; the stream reconnects. */
export class StreamDisconnected extends AmbitError {
  override name = "StreamDisconnected";
}

/** Transport failures and retryable answers are worth a reconnect; a 401/403/404 is not. */
function isTransient(err: unknown): boolean {
  if (err instanceof APIError) return err.retryable ?? err.status >= 500;
  return true;
}

/** A one-consumer async queue a push-based source (a websocket) feeds. */
class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiter?: () => void;
  private done = false;
  private error: unknown;

  push(item: T) {
    if (this.done) return;
    this.items.push(item);
    this.waiter?.();
  }

  end(error?: unknown) {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.waiter?.();
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.done) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}
