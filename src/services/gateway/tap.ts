import { usageChunkStripper } from "./strip-usage.ts";
import { type GatewayProvider, readUsage, type UsageSeen } from "./usage.ts";

/** The most of a non-streamed answer kept to read its usage; past it the answer passes unread. */
const JSON_KEEP_MAX = 8 * 1024 * 1024;

/**
 * How much of the answer the usage copy reads at once. A provider's stream comes in one chunk per
 * SSE event (a few tokens), a JavaScript read returns one chunk, and each read costs a turn of the
 * runtime's event loop (tens of µs on a small machine; bench/README.md, `gateway`). Read in
 * batches, a whole answer is a handful of turns instead of one per event.
 */
const COPY_READ_BYTES = 64 * 1024;

/** Where the SSE event around `at` begins: after the blank line before it, or 0. */
function eventStart(s: string, at: number): number {
  const lf = s.lastIndexOf("\n\n", at);
  const crlf = s.lastIndexOf("\r\n\r\n", at);
  return Math.max(lf < 0 ? 0 : lf + 2, crlf < 0 ? 0 : crlf + 4);
}

/** Where the SSE event around `at` ends (after its blank line), or -1 when it is not whole yet. */
function eventEnd(s: string, at: number): number {
  const lf = s.indexOf("\n\n", at);
  const crlf = s.indexOf("\r\n\r\n", at);
  if (lf < 0) return crlf < 0 ? -1 : crlf + 4;
  return crlf < 0 || lf < crlf ? lf + 2 : crlf + 4;
}

/**
 * Where the next event reporting usage names it, from `from`: `"usage"` or `"usageMetadata"`
 * followed by anything but `null`. Most events are text deltas without it (OpenAI's carry
 * `"usage":null` when the usage chunk was asked for), and only these are parsed.
 */
function usageAt(s: string, from: number): number {
  for (let i = s.indexOf('"usage', from); i >= 0; i = s.indexOf('"usage', i + 6)) {
    let j = i + 6;
    if (s.startsWith("Metadata", j)) j += 8;
    if (s[j++] !== '"') continue;
    while (s[j] === " ") j++;
    if (s[j++] !== ":") continue;
    while (s[j] === " ") j++;
    if (!s.startsWith("null", j)) return i;
  }
  return -1;
}

export type TapResult = { usage: UsageSeen; ttfbMs: number; endedAt: number; complete: boolean };

type TapOptions = {
  provider: GatewayProvider;
  sse: boolean;
  usage: UsageSeen;
  startedAt: number;
  /** runs once, when the answer ended (or failed), or the client went away */
  done: (r: TapResult) => void;
};

/**
 * Reads the usage of an answer as it is cut into pieces of any size: SSE events are parsed only
 * when they report usage (`usageAt`); a JSON answer is kept whole (up to JSON_KEEP_MAX).
 */
function usageScanner(o: { provider: GatewayProvider; sse: boolean; usage: UsageSeen }) {
  const decoder = new TextDecoder();
  let buffer = "";
  let kept = 0;
  const readEvent = (event: string) => {
    let data = "";
    for (const line of event.split(/\r?\n/))
      if (line.startsWith("data:")) data += line.slice(line[5] === " " ? 6 : 5);
    if (!data || data === "[DONE]") return;
    try {
      readUsage(o.provider, JSON.parse(data), o.usage);
    } catch {
      // not JSON: no usage in it
    }
  };
  return {
    push(chunk: Uint8Array): void {
      if (!o.sse) {
        kept += chunk.byteLength;
        if (kept <= JSON_KEEP_MAX) buffer += decoder.decode(chunk, { stream: true });
        return;
      }
      const text = buffer + decoder.decode(chunk, { stream: true });
      let done = 0; // the text before it is whole events, read
      for (let at = usageAt(text, 0); at >= 0; at = usageAt(text, done)) {
        const end = eventEnd(text, at);
        if (end < 0) break; // its event is not whole yet
        readEvent(text.slice(Math.max(done, eventStart(text, at)), end));
        done = end;
      }
      buffer = text.slice(Math.max(done, eventStart(text, text.length)));
    },
    end(): void {
      if (o.sse) return void (buffer && readEvent(buffer));
      if (kept <= JSON_KEEP_MAX) {
        try {
          readUsage(o.provider, JSON.parse(buffer + decoder.decode()), o.usage);
        } catch {
          // not JSON after all: nothing to read
        }
      }
    },
  };
}

/**
 * Reads the usage of a copy of the answer (a tee: the client's copy streams natively and is never
 * waited for). Its first chunk is read as it comes (when the answer started: `ttfbMs`); the rest
 * is piped natively into a buffer read COPY_READ_BYTES at a time, not one provider chunk at a
 * time. Runs to the answer's end even when the client went away; never rejects.
 */
export async function readUsageOfCopy(copy: ReadableStream<Uint8Array>, o: TapOptions) {
  const scan = usageScanner(o);
  let ttfbMs = -1;
  let complete = false;
  try {
    const first = copy.getReader();
    const r = await first.read();
    ttfbMs = Date.now() - o.startedAt;
    first.releaseLock();
    if (!r.done) {
      scan.push(r.value);
      const pipe = new IdentityTransformStream();
      const piped = copy.pipeTo(pipe.writable);
      piped.catch(() => {}); // the read below fails with it
      const reader = pipe.readable.getReader({ mode: "byob" });
      let buf = new ArrayBuffer(COPY_READ_BYTES);
      for (;;) {
        const { done, value } = await reader.readAtLeast(COPY_READ_BYTES, new Uint8Array(buf));
        if (value?.byteLength) scan.push(value);
        if (done || !value) break;
        buf = value.buffer as ArrayBuffer;
      }
      await piped;
    }
    scan.end();
    complete = true;
  } catch {
    // the answer broke off: what was read so far is recorded
  } finally {
    o.done({ usage: o.usage, ttfbMs: Math.max(ttfbMs, 0), endedAt: Date.now(), complete });
  }
}

/**
 * The client's path when the gateway must hold a chunk back (`stripUsageChunk`: the client of an
 * OpenAI chat stream did not ask for the usage chunk the gateway asked for): what the provider
 * would have sent without `include_usage` (`usageChunkStripper`: chunks go on as they came, byte
 * for byte, but for that chunk and the `"usage":null` of the others), while its usage is read.
 * Every provider chunk is read by JavaScript here (one turn of the runtime each): the only path
 * that does. `done` runs once, when the answer ended or the client went away.
 */
export function usageStripTap(o: TapOptions): TransformStream<Uint8Array, Uint8Array> {
  const strip = usageChunkStripper(o);
  // an answer that is not a stream after all has no usage chunk to hold back
  const json = o.sse ? null : usageScanner(o);
  let ttfbMs = -1;
  let finished = false;
  const finish = (complete: boolean) => {
    if (finished) return;
    finished = true;
    o.done({ usage: o.usage, ttfbMs: Math.max(ttfbMs, 0), endedAt: Date.now(), complete });
  };
  return new TransformStream({
    transform(chunk, controller) {
      if (ttfbMs < 0) ttfbMs = Date.now() - o.startedAt;
      if (json) return void (json.push(chunk), controller.enqueue(chunk));
      for (const part of strip.push(chunk)) controller.enqueue(part);
    },
    flush(controller) {
      if (json) json.end();
      else for (const part of strip.end()) controller.enqueue(part);
      finish(true);
    },
    // the client went away mid-answer: what was seen so far is recorded
    cancel() {
      finish(false);
    },
  } as Transformer<Uint8Array, Uint8Array>);
}
