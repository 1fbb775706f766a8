import { type RunEvent, ServerFrame } from "@ambit/protocol";
import type { HarnessEvent } from "../harness/types.ts";
import { type Backoff, ReconnectingSocket } from "../net/reconnecting-socket.ts";

/** Most events in one `append` frame (the protocol allows 500) and its approximate size bound. */
const MAX_BATCH = 500;
const MAX_BATCH_CHARS = 512 * 1024;
/** `append` frames sent and not acknowledged yet, at most. */
const MAX_IN_FLIGHT = 4;

type Pending = { host_seq: number; type: string; payload: Record<string, unknown>; size: number };

export type SessionClientOptions = {
  /** the platform's base URL, e.g. `http://127.0.0.1:8787` */
  baseUrl: string;
  /** `assignment.session.path` */
  path: string;
  /** the HOST attach token of the assignment */
  token: string;
  executionId: number;
  /** a follow-up for this execution arrived (each once, in order) */
  onFollowup(message: string): void;
  log?: (entry: Record<string, unknown>) => void;
  backoff?: Backoff;
};

/**
 * A run's session socket as its host uses it: events are numbered with `host_seq`, sent in
 * batches (one frame in flight per tick of acks, more events gathered meanwhile), and kept until
 * acknowledged; after a reconnect every unacknowledged event is sent again (the session refuses
 * a `host_seq` it already has, so nothing is doubled). Follow-ups come from the replayed and live
 * `followup.received` events of this execution, by `seq`, so none is missed across a reconnect.
 */
export class SessionClient {
  private socket: ReconnectingSocket;
  private hostSeq = 0;
  /** events not acknowledged yet, in host_seq order; `sentUpTo` marks what went on this connection */
  private unacked: Pending[] = [];
  private sentUpTo = 0;
  private inFlight = 0;
  private lastSeq = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** the session's `last_seq` when this client first attached; null until then */
  private replayTarget: number | null = null;
  private replayWaiters: (() => void)[] = [];
  private stopped = false;
  /** the connection dropped and has not come back yet */
  private lost = false;
  /** events the session refused (invalid, or the run ended) — counted, and logged */
  refused = 0;
  /** events the session accepted */
  acked = 0;

  private readonly opts: SessionClientOptions;

  constructor(opts: SessionClientOptions) {
    this.opts = opts;
    const ws = opts.baseUrl.replace(/^http/, "ws").replace(/\/$/, "");
    this.socket = new ReconnectingSocket(
      () => `${ws}${opts.path}?token=${encodeURIComponent(opts.token)}&after=${this.lastSeq}`,
      {},
      {
        onOpen: () => {
          if (this.lost)
            this.log({
              msg: "session reconnected; resending what it has not acknowledged",
              backlog: this.unacked.length,
            });
          this.lost = false;
          // everything not acknowledged goes again, on this connection
          this.sentUpTo = 0;
          this.inFlight = 0;
          this.schedule();
        },
        onMessage: (text) => this.onFrame(text),
        onClose: () => {
          if (this.stopped || this.lost) return;
          this.lost = true;
          this.log({
            msg: "session connection lost; events are kept and sent after reconnecting",
            backlog: this.unacked.length,
          });
        },
        onRefused: (status, body) => {
          this.log({ msg: "session attach refused", status, body: body.slice(0, 300) });
          // the token expired, or the run is gone: no retry can fix that
          const fatal = status === 401 || status === 403 || status === 404;
          if (fatal) this.stop();
          return fatal;
        },
      },
      opts.backoff,
    );
  }

  /** Queues one event (already redacted and capped). */
  emit(event: HarnessEvent) {
    if (this.stopped) return;
    const payload = event.payload;
    this.unacked.push({
      host_seq: ++this.hostSeq,
      type: event.type,
      payload,
      size: JSON.stringify(payload).length + 64,
    });
    this.schedule();
  }

  /** Number of events not acknowledged yet. */
  get backlog() {
    return this.unacked.length;
  }

  /** Resolves true once every event emitted so far is acknowledged, false after `timeoutMs`. */
  settled(timeoutMs = 30_000): Promise<boolean> {
    if (this.unacked.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /**
   * Resolves true once the session's history up to the moment this client first attached has
   * been replayed (so every follow-up sent before then — the one that started this execution
   * among them — has reached `onFollowup`), false after `timeoutMs`.
   */
  caughtUp(timeoutMs = 10_000): Promise<boolean> {
    if (this.isCaughtUp()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.replayWaiters = this.replayWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.replayWaiters.push(done);
    });
  }

  private isCaughtUp() {
    return this.stopped || (this.replayTarget !== null && this.lastSeq >= this.replayTarget);
  }

  private checkCaughtUp() {
    if (this.isCaughtUp()) for (const w of this.replayWaiters.splice(0)) w();
  }

  /** Drops the connection as a network failure would (tests, and the runner after a pool reconnect). */
  reconnect() {
    this.socket.reconnect();
  }

  close() {
    this.stop();
  }

  private stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.socket.close();
    this.unacked = [];
    for (const w of this.idleWaiters.splice(0)) w();
    for (const w of this.replayWaiters.splice(0)) w();
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump() {
    while (
      this.inFlight < MAX_IN_FLIGHT &&
      this.sentUpTo < this.unacked.length &&
      this.socket.open
    ) {
      const batch: Pending[] = [];
      let chars = 0;
      for (let i = this.sentUpTo; i < this.unacked.length && batch.length < MAX_BATCH; i++) {
        const e = this.unacked[i];
        if (batch.length && chars + e.size > MAX_BATCH_CHARS) break;
        batch.push(e);
        chars += e.size;
      }
      const last = batch[batch.length - 1].host_seq;
      const frame = {
        type: "append",
        ref: String(last),
        events: batch.map(({ host_seq, type, payload }) => ({ host_seq, type, payload })),
      };
      if (!this.socket.send(JSON.stringify(frame))) return;
      this.sentUpTo += batch.length;
      this.inFlight++;
    }
  }

  private onFrame(text: string) {
    let frame: ServerFrame;
    try {
      frame = ServerFrame.parse(JSON.parse(text));
    } catch {
      return this.log({ msg: "unreadable session frame", frame: text.slice(0, 200) });
    }
    switch (frame.type) {
      case "ready":
        this.replayTarget ??= frame.last_seq;
        return this.checkCaughtUp();
      case "event":
        return this.onEvents([frame.event]);
      case "events":
        return this.onEvents(frame.events);
      case "ack":
      case "error":
        if (frame.type === "error")
          this.log({ msg: "session refused a frame", code: frame.code, message: frame.message });
        if (frame.type === "ack" && frame.refused?.length) {
          // a resend the session already had is not a refusal; anything else is worth a line
          const real = frame.refused.filter((r) => !r.reason.startsWith("duplicate"));
          this.refused += real.length;
          if (real.length) this.log({ msg: "session refused events", refused: real.slice(0, 5) });
        }
        return this.onAck(Number(frame.ref), frame.type === "ack" ? (frame.seqs?.length ?? 0) : 0);
    }
  }

  private onAck(upTo: number, accepted: number) {
    if (!Number.isFinite(upTo)) return;
    let n = 0;
    while (n < this.unacked.length && this.unacked[n].host_seq <= upTo) n++;
    this.unacked.splice(0, n);
    this.sentUpTo = Math.max(0, this.sentUpTo - n);
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.acked += accepted;
    if (this.unacked.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    else this.schedule();
  }

  private onEvents(events: RunEvent[]) {
    for (const e of events) {
      if (e.seq <= this.lastSeq) continue;
      this.lastSeq = e.seq;
      if (
        e.type === "followup.received" &&
        e.execution_id === this.opts.executionId &&
        typeof e.payload.message === "string"
      ) {
        this.opts.onFollowup(e.payload.message);
      }
    }
    this.checkCaughtUp();
  }

  private log(entry: Record<string, unknown>) {
    this.opts.log?.({ path: this.opts.path, ...entry });
  }
}
