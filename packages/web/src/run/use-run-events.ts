// A run's events, replayed then live over the session websocket (@ambit/sdk's RunStream, which
// reconnects from the last seq it yielded: no gap, no repeat). Events arrive in bursts (a replay of
// thousands): they are added to the screen once per animation frame, not one render each.
import type { AccessLevel, RunEvent } from "@ambit/sdk";
import { useEffect, useState } from "react";
import { client } from "../lib/api.ts";

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
      const batch = pending;
      pending = [];
      setView((v) => ({ ...v, events: v.events.concat(batch), state: stream.state }));
    };
    setView({ events: [], status: "connecting", presence: [] });
    void (async () => {
      try {
        for await (const event of stream) {
          pending.push(event);
          if (!frame) frame = requestAnimationFrame(flush);
        }
      } catch (error) {
        if (!controller.signal.aborted) patch({ status: "failed", error });
      }
    })();
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
    };
  }, [id, publicLink]);

  return view;
}
