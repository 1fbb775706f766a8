// The websocket clients of the fanout benchmark: the run's host (the producer) and the viewers
// (which run in worker threads: viewer-thread.ts). Times are in ms on the process's monotonic
// clock (`process.hrtime`, ns resolution), one clock for every thread of the process: the host
// writes it into each event's payload, a viewer reads it on receipt.

import type { RunEvent, ServerFrame } from "@ambit/protocol";

export const now = () => Number(process.hrtime.bigint()) / 1e6;

type Frame = ServerFrame;

/**
 * Whether sockets offer `permessage-deflate` (Node's global WebSocket always does, as browsers do).
 * Off, they are opened with the `ws` package, which can leave it out.
 */
let offerDeflate = true;
let PlainWebSocket: (new (url: string, opts: object) => WebSocket) | undefined;
export async function setOfferDeflate(on: boolean) {
  offerDeflate = on;
  if (!on && !PlainWebSocket) {
    try {
      PlainWebSocket = (await import("ws")).default as unknown as typeof PlainWebSocket;
    } catch {
      throw new Error(
        "sockets without the deflate offer need the `ws` package (a devDependency); it was not found",
      );
    }
  }
}

/** Opens a socket and resolves with it once the server's `ready` frame arrived. */
function open(
  url: string,
  onFrame: (f: Frame, raw: string, at: number) => void,
  timeoutMs = 30_000,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = offerDeflate
      ? new WebSocket(url)
      : new PlainWebSocket!(url, { perMessageDeflate: false });
    let ready = false;
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`no ready frame from ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onmessage = (ev) => {
      const at = now();
      const raw = String(ev.data);
      const f = JSON.parse(raw) as Frame;
      if (!ready && f.type === "ready") {
        ready = true;
        clearTimeout(timer);
        resolve(ws);
      }
      onFrame(f, raw, at);
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`socket closed before ready (${ev.code} ${ev.reason})`));
    };
  });
}

export function closeSocket(ws: WebSocket | undefined): Promise<void> {
  if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    ws.addEventListener("close", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1000, "bench done");
  });
}

/**
 * One attached viewer: checks every event frame it gets for gaps, duplicates and order (by seq)
 * and records the delivery latency of the benchmark's own events (receive time − the send time
 * the producer put in the payload).
 */
export class Viewer {
  ws?: WebSocket;
  /** connections the last presence frame counted (host included) */
  attached = 0;
  delivered = 0;
  /** frames that carried events (`event`: one, `events`: several, coalesced by the session under load) */
  frames = 0;
  duplicates = 0;
  outOfOrder = 0;
  maxSeq = 0;
  readonly seen = new Set<number>();
  latencies: number[] = [];
  /** the producer's index of each event in `latencies` */
  indices: number[] = [];
  lastAt = 0;
  closedEarly: string | null = null;

  async connect(url: string) {
    this.ws = await open(url, (f, _raw, at) => this.onFrame(f, at));
    this.ws.onclose = (ev) => {
      if (ev.code !== 1000) this.closedEarly = `${ev.code} ${ev.reason}`;
    };
  }

  private onFrame(f: Frame, at: number) {
    if (f.type === "presence") {
      this.attached = f.attached.reduce((s, a) => s + a.connections, 0);
      return;
    }
    if (f.type === "event") {
      this.frames++;
      this.onEvent(f.event, at);
    } else if (f.type === "events") {
      this.frames++;
      for (const event of f.events) this.onEvent(event, at);
    }
  }

  private onEvent(event: RunEvent, at: number) {
    if (event.type !== "agent.message" || !event.payload.text?.startsWith('{"bench"')) return;
    if (this.seen.has(event.seq)) {
      this.duplicates++;
      return;
    }
    if (event.seq < this.maxSeq) this.outOfOrder++;
    this.seen.add(event.seq);
    this.maxSeq = Math.max(this.maxSeq, event.seq);
    this.delivered++;
    const sent = JSON.parse(event.payload.text) as { bench: number; t: number };
    this.latencies.push(at - sent.t);
    this.indices.push(sent.bench);
    this.lastAt = at;
  }

  close() {
    return closeSocket(this.ws);
  }
}

/**
 * The run's host: appends one `agent.message` per frame at a fixed rate and collects the acks
 * (which seqs the session gave the events, and how long the append took end to end).
 */
export class Host {
  ws?: WebSocket;
  readonly seqs: number[] = [];
  refused: { host_seq: number; reason: string }[] = [];
  errors: string[] = [];
  readonly ackLatencies: number[] = [];
  private readonly sentAt = new Map<string, number>();
  sent = 0;
  /** sends attempted after the socket closed (not counted in `sent`) */
  unsent = 0;
  closedEarly: string | null = null;

  async connect(url: string) {
    this.ws = await open(url, (f, _raw, at) => {
      if (f.type === "ack") {
        const ref = f.ref ?? "";
        const t = this.sentAt.get(ref);
        if (t !== undefined) {
          this.ackLatencies.push(at - t);
          this.sentAt.delete(ref);
        }
        this.seqs.push(...(f.seqs ?? []));
        this.refused.push(...(f.refused ?? []));
      } else if (f.type === "error") {
        this.errors.push(`${f.code}: ${f.message}`);
      }
    });
    this.ws.onclose = (ev) => {
      if (ev.code !== 1000) this.closedEarly = `${ev.code} ${ev.reason}`;
    };
  }

  get acked() {
    return this.seqs.length + this.refused.length;
  }

  private send(i: number) {
    if (this.ws!.readyState !== WebSocket.OPEN) {
      this.unsent++;
      return;
    }
    const t = now();
    const text = JSON.stringify({ bench: i, t });
    this.sentAt.set(String(i), t);
    this.ws!.send(
      JSON.stringify({
        type: "append",
        ref: String(i),
        events: [{ host_seq: i + 1, type: "agent.message", payload: { text } }],
      }),
    );
    this.sent++;
  }

  /**
   * Sends `rate × seconds` events, event i due at start + i / rate; a late timer sends whatever is
   * due at once (each carries its actual send time). Returns how late the sends were against schedule.
   */
  produce(
    rate: number,
    seconds: number,
    onTick?: (sent: number) => void,
  ): Promise<{ seconds: number; lateness_ms: number[] }> {
    const total = Math.round(rate * seconds);
    const interval = 1000 / rate;
    const start = performance.now();
    const lateness: number[] = [];
    let i = 0;
    let lastTick = start;
    return new Promise((resolve) => {
      const tick = () => {
        const t = performance.now();
        while (i < total && start + i * interval <= t) {
          lateness.push(t - (start + i * interval));
          this.send(i++);
        }
        if (onTick && t - lastTick >= 1000) {
          lastTick = t;
          onTick(i);
        }
        if (i >= total)
          return resolve({ seconds: (performance.now() - start) / 1000, lateness_ms: lateness });
        setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
      };
      tick();
    });
  }

  close() {
    return closeSocket(this.ws);
  }
}
