import WebSocket from "ws";

export type Backoff = { initialMs: number; maxMs: number };
export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

/** Exponential backoff with "equal jitter": half the step fixed, half random, so hosts do not reconnect in lockstep. */
export function backoffDelay(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  const step = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return step / 2 + Math.random() * (step / 2);
}

export type SocketHandlers = {
  /** the connection is open (again); `attempt` counts the failed tries before it */
  onOpen(): void;
  onMessage(text: string): void;
  onClose?(code: number, reason: string): void;
  /**
   * The server answered the upgrade with an HTTP status instead (401, 404, …). Return true to
   * stop for good (the credentials or the resource are wrong), false to retry with backoff.
   */
  onRefused?(status: number, body: string): boolean;
};

/**
 * A websocket that reconnects with exponential backoff and jitter until `close()` is called.
 * `url` is read on each attempt, so a caller can move its resume point (e.g. `?after=`).
 */
export class ReconnectingSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private readonly url: () => string;
  private readonly headers: Record<string, string>;
  private readonly handlers: SocketHandlers;
  private readonly backoff: Backoff;

  constructor(
    url: () => string,
    headers: Record<string, string>,
    handlers: SocketHandlers,
    backoff: Backoff = DEFAULT_BACKOFF,
  ) {
    this.url = url;
    this.headers = headers;
    this.handlers = handlers;
    this.backoff = backoff;
    this.connect();
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends if open; false when the text could not be sent (the caller keeps it for after a reconnect). */
  send(text: string): boolean {
    if (!this.open) return false;
    this.ws!.send(text);
    return true;
  }

  /** Drops the current connection (as a network failure would) and reconnects. */
  reconnect() {
    this.ws?.terminate();
  }

  close(code = 1000, reason = "closing") {
    this.closed = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(code, reason);
  }

  private connect() {
    if (this.closed) return;
    const ws = new WebSocket(this.url(), { headers: this.headers, perMessageDeflate: false });
    this.ws = ws;
    let refused = false;
    ws.on("open", () => {
      this.attempt = 0;
      this.handlers.onOpen();
    });
    ws.on("message", (data) => this.handlers.onMessage(data.toString()));
    ws.on("unexpected-response", (_req, res) => {
      refused = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        const stop = this.handlers.onRefused?.(res.statusCode ?? 0, body) ?? false;
        ws.terminate();
        if (stop) this.closed = true;
        this.retry(ws);
      });
    });
    ws.on("error", () => {
      /* followed by close; the retry happens there */
    });
    ws.on("close", (code, reason) => {
      if (refused) return;
      this.handlers.onClose?.(code, reason.toString());
      this.retry(ws);
    });
  }

  private retry(ws: WebSocket) {
    if (this.ws !== ws || this.closed) return;
    this.ws = null;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
