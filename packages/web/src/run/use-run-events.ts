// A run's events, replayed then live over the session websocket (@ambit/sdk's RunStream, which
// reconnects from the last seq it yielded: no gap, no repeat). Events arrive in bursts (a replay of
// thousands) and streams (hundreds a second): they are added to the screen in batches, on an
// animation frame at least FLUSH_MS after the previous batch, not one render each; the batch that
// completes a replay (the log's tail when the socket opened) is drawn at once. Every batch costs a
// render of the transcript (the windowed list's offsets over every item, the rows that came into
// view, a layout): ten a second keep a 200 events/s run far from a long task, and a replay of
// 10,000 events is drawn in a handful of renders instead of one per websocket frame.
import type { AccessLevel, RunEvent } from "@ambit/sdk";
import { useEffect, useState } from "react";
import { client } from "../lib/api.ts";

/** The least time between two batches of events reaching the screen. */
export const FLUSH_MS = 100;

export type Presence = Array<{
  principal: { type: string; id: string };
  access: string;
  connections: number;
  /** a teammate's name (not on the public page) */
  name?: string;
}>;

export type RunEvents = {
  events: RunEvent[];
  /** `connecting` until the first `ready`; `reconnecting` while a dropped socket is reopened. */
  status: "connecting" | "live" | "reconnecting" | "failed";
  access?: AccessLevel;
  state?: string;
  presence: Presence;
  error?: unknown;
};

/** `id` is a share id when `publicLink` is set: the run behind that link, read-only, no sign-in. */
export function useRunEvents(id: string, publicLink = false): RunEvents {
  const [view, setView] = useState<RunEvents>({ events: [], status: "connecting", presence: [] });

  useEffect(() => {
    const controller = new AbortController();
    let pending: RunEvent[] = [];
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let flushedAt = 0;
    const patch = (p: Partial<RunEvents>) => setView((v) => ({ ...v, ...p }));
    const stream = (publicLink ? client.publicRuns : client.agent.runs).stream(id, {
      untilTerminal: false, // a follow-up may start an ended run again
      signal: controller.signal,
      maxReconnects: 1_000,
      onStatus: (status) => patch({ status, access: stream.access }),
      onPresence: (presence) => patch({ presence }),
    });
    const flush = () => {
      frame = 0;
      timer = undefined;
      flushedAt = performance.now();
      const batch = pending;
      pending = [];
      setView((v) => ({ ...v, events: v.events.concat(batch), state: stream.state }));
    };
    setView({ events: [], status: "connecting", presence: [] });
    void (async () => {
      try {
        for await (const event of stream) {
          pending.push(event);
          if (event.seq === stream.tailSeq) {
            clearTimeout(timer);
            timer = undefined;
            if (!frame) frame = requestAnimationFrame(flush);
          }
          if (frame || timer) continue;
          const wait = flushedAt + FLUSH_MS - performance.now();
          if (wait <= 0) frame = requestAnimationFrame(flush);
          else timer = setTimeout(() => (frame = requestAnimationFrame(flush)), wait);
        }
      } catch (error) {
        if (!controller.signal.aborted) patch({ status: "failed", error });
      }
    })();
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [id, publicLink]);

  return view;
}
