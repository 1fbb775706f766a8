import { type GatewayProvider, isUsageOnlyChunk, readUsage, type UsageSeen } from "./usage.ts";

/** The most of a non-streamed answer kept to read its usage; past it the answer passes unread. */
const JSON_KEEP_MAX = 8 * 1024 * 1024;

/** What every event carrying usage has in it (`"usage"`, `"usageMetadata"`), and few others do. */
const USAGE_MARK = "sage";

/**
 * How much of the answer the usage copy reads at once. A provider's stream comes in one chunk per
 * SSE event (a few tokens), and each read of a chunk from JavaScript costs a turn of the runtime's
 * event loop: read one by one, 4,000 tiny events cost the isolate ~50 µs each (bench/README.md,
 * `gateway`). Read in batches, a whole answer is a handful of turns.
 */
const COPY_READ_BYTES = 64 * 1024;

/** Where the last whole SSE event of `s` ends (after its blank line), or -1 when none does. */
function lastBoundary(s: string): number {
  const lf = s.lastIndexOf("\n\n");
  const crlf = s.lastIndexOf("\r\n\r\n");
  return Math.max(lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 4);
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
 * when they name usage (most are text deltas); a JSON answer is kept whole (up to JSON_KEEP_MAX).
 * `strip` (an OpenAI chat stream whose client did not ask for the usage chunk the gateway asked
 * for): `push` and `end` return the text to pass on, whole events with that one left out.
 */
function usageScanner(o: { provider: GatewayProvider; sse: boolean; usage: UsageSeen }) {
  const decoder = new TextDecoder();
  let buffer = "";
  let kept = 0;
  const readEvent = (event: string, strip: boolean) => {
    let data = "";
    for (const line of event.split(/\r?\n/))
      if (line.startsWith("data:")) data += line.slice(line[5] === " " ? 6 : 5);
    if (!data || data === "[DONE]") return true;
    try {
      const obj = JSON.parse(data);
      readUsage(o.provider, obj, o.usage);
      return !(strip && isUsageOnlyChunk(obj));
    } catch {
      return true;
    }
  };
  return {
    push(chunk: Uint8Array, strip: boolean): string {
      if (!o.sse) {
        kept += chunk.byteLength;
        if (kept <= JSON_KEEP_MAX) buffer += decoder.decode(chunk, { stream: true });
        return "";
      }
      buffer += decoder.decode(chunk, { stream: true });
      const cut = lastBoundary(buffer);
      if (cut < 0) return "";
      const complete = buffer.slice(0, cut);
      buffer = buffer.slice(cut);
      if (!strip && !complete.includes(USAGE_MARK)) return "";
      let out = "";
      for (const event of complete.split(/\r?\n\r?\n/)) {
        if (!event) continue;
        const keep = event.includes(USAGE_MARK) ? readEvent(event, strip) : true;
        if (keep && strip) out += `${event}\n\n`;
      }
      return out;
    },
    end(strip: boolean): string {
      if (o.sse) return buffer && readEvent(buffer, strip) && strip ? buffer : "";
      if (kept <= JSON_KEEP_MAX) {
        try {
          readUsage(o.provider, JSON.parse(buffer + decoder.decode()), o.usage);
        } catch {
          // not JSON after all: nothing to read
        }
      }
      return "";
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
      scan.push(r.value, false);
      const pipe = new IdentityTransformStream();
      const piped = copy.pipeTo(pipe.writable);
      piped.catch(() => {}); // the read below fails with it
      const reader = pipe.readable.getReader({ mode: "byob" });
      let buf = new ArrayBuffer(COPY_READ_BYTES);
      for (;;) {
        const { done, value } = await reader.readAtLeast(COPY_READ_BYTES, new Uint8Array(buf));
        if (value?.byteLength) scan.push(value, false);
        if (done || !value) break;
        buf = value.buffer as ArrayBuffer;
      }
      await piped;
    }
    scan.end(false);
    complete = true;
  } catch {
    // the answer broke off: what was read so far is recorded
  } finally {
    o.done({ usage: o.usage, ttfbMs: Math.max(ttfbMs, 0), endedAt: Date.now(), complete });
  }
}

/** Past this much written ahead of a slow client, the provider is read no further meanwhile. */
const STRIP_AHEAD_MAX = 1024 * 1024;

/**
 * The client's copy when the gateway must hold a chunk back (`stripUsageChunk`: the client of an
 * OpenAI chat stream did not ask for the usage chunk the gateway asked for): whole events go on
 * as they come (nothing waits for the end), that one left out, while their usage is read. Each
 * provider chunk is read as it comes and written at once; what arrives while a write is under
 * way goes in the next write, whole (one write for many events, none waiting for more). `done`
 * runs once, when the answer ended or broke off, or the client went away.
 */
export function withoutUsageChunk(
  body: ReadableStream<Uint8Array>,
  o: TapOptions & { waitUntil: (p: Promise<unknown>) => void },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const scan = usageScanner(o);
  const out = new IdentityTransformStream();
  const writer = out.writable.getWriter();
  const reader = body.getReader();
  // the client went away: the provider's answer is read no further
  writer.closed.catch((err) => reader.cancel(err).catch(() => {}));
  let ttfbMs = -1;
  let ahead: Uint8Array[] = [];
  let aheadBytes = 0;
  let writing: Promise<void> | null = null;
  const drain = async () => {
    try {
      while (ahead.length) {
        const bytes = ahead.length === 1 ? ahead[0] : joined(ahead, aheadBytes);
        ahead = [];
        aheadBytes = 0;
        await writer.write(bytes);
      }
    } finally {
      writing = null;
    }
  };
  const send = (bytes: Uint8Array) => {
    ahead.push(bytes);
    aheadBytes += bytes.byteLength;
    if (writing) return;
    writing = drain();
    writing.catch(() => {}); // a failed write fails the next one too, which is awaited
  };
  const pass = async () => {
    let complete = false;
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        if (ttfbMs < 0) ttfbMs = Date.now() - o.startedAt;
        // an answer that is not a stream after all has no usage chunk to hold back
        const text = o.sse ? scan.push(r.value, true) : (scan.push(r.value, false), null);
        if (text === null) send(r.value);
        else if (text) send(encoder.encode(text));
        if (aheadBytes > STRIP_AHEAD_MAX) await writing;
      }
      const rest = scan.end(true);
      if (rest) send(encoder.encode(rest));
      await writing;
      await writer.close();
      complete = true;
    } catch (err) {
      // the answer broke off (the client's copy breaks too), or the client went away
      writer.abort(err).catch(() => {});
      reader.cancel(err).catch(() => {});
    } finally {
      o.done({ usage: o.usage, ttfbMs: Math.max(ttfbMs, 0), endedAt: Date.now(), complete });
    }
  };
  o.waitUntil(pass());
  return out.readable;
}

function joined(parts: Uint8Array[], size: number): Uint8Array {
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return all;
}
