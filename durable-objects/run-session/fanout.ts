import type { RunEvent } from "@ambit/protocol";

/**
 * Live fan-out budget of one session: frames per second to all its clients together. Every send
 * is one frame per attached socket, and a frame costs the runtime more than its bytes do, so
 * under load the events are coalesced to stay near this budget however many clients watch.
 * Uncompressed (`no_web_socket_compression`), a frame costs the local runtime ~20–30 µs and
 * the wrangler dev proxy ~20 µs (bench/README.md, fanout): 10,000 frames/s is a fifth to a
 * half of a core, and makes the window at 200 clients 20 ms, the most a live event waits.
 */
export const FANOUT_FRAMES_PER_S = 10_000;
/** The longest an event waits to be coalesced with the next ones. */
export const MAX_COALESCE_MS = 50;

/** How long events wait to go out together when `audience` clients are attached. */
export const coalesceWindowMs = (audience: number) =>
  Math.min(MAX_COALESCE_MS, (1000 * audience) / FANOUT_FRAMES_PER_S);

/**
 * The events persisted but not yet sent to the attached clients. A send goes out at once when the
 * previous one was at least one window ago; otherwise the events wait for the end of that window
 * and go together. The window is `audience / FANOUT_FRAMES_PER_S` (capped at `MAX_COALESCE_MS`):
 * with a few clients, or events further apart than that, every event is sent as it comes; with 200
 * clients, a send at most every 20 ms; from 500 clients on, every 50 ms.
 */
export class Outbox {
  private pending: RunEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSend = 0;
  private readonly deliver: (events: RunEvent[]) => void;
  private readonly audience: () => number;

  /** `deliver` sends events (consecutive, in seq order) to every client; `audience` counts the clients. */
  constructor(deliver: (events: RunEvent[]) => void, audience: () => number) {
    this.deliver = deliver;
    this.audience = audience;
  }

  add(events: RunEvent[]) {
    if (!events.length) return;
    this.pending.push(...events);
    if (this.timer) return;
    const wait = this.lastSend + coalesceWindowMs(this.audience()) - Date.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends whatever is pending now: before any other frame, so the clients see everything in order. */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const events = this.pending;
    this.pending = [];
    this.lastSend = Date.now();
    this.deliver(events);
  }
}
