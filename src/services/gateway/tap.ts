import { type GatewayProvider, isUsageOnlyChunk, readUsage, type UsageSeen } from "./usage.ts";

/** The most of a non-streamed answer kept to read its usage; past it the answer passes unread. */
const JSON_KEEP_MAX = 8 * 1024 * 1024;

/** What every event carrying usage has in it (`"usage"`, `"usageMetadata"`), and few others do. */
const USAGE_MARK = "sage";

/** Where the last whole SSE event of `s` ends (after its blank line), or -1 when none does. */
function lastBoundary(s: string): number {
  const lf = s.lastIndexOf("\n\n");
  const crlf = s.lastIndexOf("\r\n\r\n");
  return Math.max(lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 4);
}

export type TapResult = { usage: UsageSeen; ttfbMs: number; endedAt: number; complete: boolean };

/**
 * A pass-through for a provider's answer that reads its usage on the way: every chunk goes on as
 * it came (nothing waits for the end), while a copy is cut into SSE events (or, for a JSON
 * answer, kept) to read the usage from. The gateway puts it on a tee of the answer (the client's
 * copy then streams natively), or in the client's path when it must hold a chunk back. `stripUsageChunk`: the client of an OpenAI chat stream
 * did not ask for the usage chunk the gateway asked for; events then go on whole, that one held
 * back. `done` runs once, when the answer ended or the client went away.
 */
export function usageTap(o: {
  provider: GatewayProvider;
  sse: boolean;
  stripUsageChunk: boolean;
  usage: UsageSeen;
  startedAt: number;
  done: (r: TapResult) => void;
}): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let kept = 0;
  let ttfbMs = -1;
  let finished = false;
  const finish = (complete: boolean) => {
    if (finished) return;
    finished = true;
    o.done({ usage: o.usage, ttfbMs: Math.max(ttfbMs, 0), endedAt: Date.now(), complete });
  };
  const readEvent = (event: string) => {
    let data = "";
    for (const line of event.split(/\r?\n/))
      if (line.startsWith("data:")) data += line.slice(line[5] === " " ? 6 : 5);
    if (!data || data === "[DONE]") return true;
    try {
      const obj = JSON.parse(data);
      readUsage(o.provider, obj, o.usage);
      return !(o.stripUsageChunk && isUsageOnlyChunk(obj));
    } catch {
      return true;
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      if (ttfbMs < 0) ttfbMs = Date.now() - o.startedAt;
      if (!o.stripUsageChunk) controller.enqueue(chunk);
      if (!o.sse) {
        kept += chunk.byteLength;
        if (kept <= JSON_KEEP_MAX) buffer += decoder.decode(chunk, { stream: true });
        return;
      }
      buffer += decoder.decode(chunk, { stream: true });
      const cut = lastBoundary(buffer);
      if (cut < 0) return;
      const complete = buffer.slice(0, cut);
      buffer = buffer.slice(cut);
      // most events are text deltas: only those naming usage are parsed (`usage`, `usageMetadata`)
      if (!o.stripUsageChunk && !complete.includes(USAGE_MARK)) return;
      let out = "";
      for (const event of complete.split(/\r?\n\r?\n/)) {
        if (!event) continue;
        const keep = event.includes(USAGE_MARK) ? readEvent(event) : true;
        if (keep && o.stripUsageChunk) out += `${event}\n\n`;
      }
      if (out) controller.enqueue(encoder.encode(out));
    },
    flush(controller) {
      if (o.sse) {
        if (buffer && readEvent(buffer) && o.stripUsageChunk)
          controller.enqueue(encoder.encode(buffer));
      } else if (kept <= JSON_KEEP_MAX) {
        try {
          readUsage(o.provider, JSON.parse(buffer + decoder.decode()), o.usage);
        } catch {
          // not JSON after all: nothing to read
        }
      }
      finish(true);
    },
    // the client went away mid-answer: what was seen so far is recorded
    cancel() {
      finish(false);
    },
  } as Transformer<Uint8Array, Uint8Array>);
}
