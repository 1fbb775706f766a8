import type { RunEvent } from "@ambit/protocol";

// A replay (an attach after `after`) goes out in bounded pages (finding 7): a page of the log is
// read, sent, and the next one waits for the next turn of the event loop (a websocket: workerd
// does not expose `bufferedAmount`, so a page per turn lets every other client's work run between
// two pages) or for the stream's backpressure (SSE: `writer.ready`). One page is at most
// `REPLAY_PAGE_EVENTS` events in frames of at most `REPLAY_FRAME_BYTES`, each event serialized once.

export const REPLAY_PAGE_EVENTS = 500;
export const REPLAY_FRAME_BYTES = 256 * 1024;

/** The websocket frames of one page: `events` frames (one `event` frame for a lone event), each under the byte bound. */
export function replayFrames(events: RunEvent[]): string[] {
  const frames: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  const close = () => {
    if (!batch.length) return;
    frames.push(
      batch.length === 1
        ? `{"type":"event","event":${batch[0]}}`
        : `{"type":"events","events":[${batch.join(",")}]}`,
    );
    batch = [];
    bytes = 0;
  };
  for (const e of events) {
    const text = JSON.stringify(e);
    if (bytes + text.length > REPLAY_FRAME_BYTES) close();
    batch.push(text);
    bytes += text.length + 1;
  }
  close();
  return frames;
}

/** One turn of the event loop. */
export const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Presence, coalesced (finding 7): attaches and leaves ask for a presence frame, and one goes to
 * every socket at most once per `PRESENCE_INTERVAL_MS`, whatever the number of attaches between;
 * a burst of N attaches costs each socket O(1) frames, not N.
 */
export const PRESENCE_INTERVAL_MS = 1_000;

export class PresenceTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = 0;
  constructor(private readonly sendNow: () => void) {}

  /** Asks for a presence frame: at the next turn when none went out for an interval, else at the interval's end. */
  poke() {
    if (this.timer) return;
    const wait = Math.max(0, this.last + PRESENCE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.last = Date.now();
      this.sendNow();
    }, wait);
  }
}
