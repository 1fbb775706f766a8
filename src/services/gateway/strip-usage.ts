import { type GatewayProvider, isUsageOnlyChunk, readUsage, type UsageSeen } from "./usage.ts";

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const U = 0x75;
const SAGE = [0x73, 0x61, 0x67, 0x65, QUOTE]; // `sage"`, after `"u`
const NULL = [0x6e, 0x75, 0x6c, 0x6c];
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === LF || b === CR;

/**
 * The ends (just past the blank line) of the whole SSE events in `buf`, which starts at the start
 * of an event. Lines end with LF, CRLF or CR; a CR as the very last byte may be the first half of
 * a CRLF, so the event it would end is not whole yet.
 */
function eventEnds(buf: Uint8Array): number[] {
  const ends: number[] = [];
  let lineEmpty = true;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b !== LF && b !== CR) {
      lineEmpty = false;
      continue;
    }
    let end = i + 1;
    if (b === CR) {
      if (end === buf.length) break; // LF may follow in the next chunk
      if (buf[end] === LF) end = ++i + 1;
    }
    if (lineEmpty) ends.push(end);
    lineEmpty = true;
  }
  return ends;
}

/** `buf` at `at` holds `bytes`. */
const holds = (buf: Uint8Array, at: number, bytes: number[]) =>
  bytes.every((b, k) => buf[at + k] === b);

/**
 * The `"usage"` keys in `buf[0, end)`, each with where its value is `null` (to cut the member
 * out: from the comma before it, or to the comma after it) or `value: true` when it is anything
 * else (an event to parse). A `"usage"` inside a JSON string is escaped (`\"usage\"`): not a key.
 */
function usageKeys(buf: Uint8Array, end: number) {
  const keys: { at: number; value: boolean; cut: [number, number] }[] = [];
  for (let i = buf.indexOf(U, 1); i >= 0 && i < end; i = buf.indexOf(U, i + 1)) {
    const q = i - 1;
    if (buf[q] !== QUOTE || buf[q - 1] === BACKSLASH || !holds(buf, i + 1, SAGE)) continue;
    let j = i + 6;
    while (j < end && isSpace(buf[j])) j++;
    if (buf[j] !== COLON) {
      // not a plain key (perhaps split over `data:` lines): its event is parsed
      keys.push({ at: q, value: true, cut: [q, q] });
      continue;
    }
    j++;
    while (j < end && isSpace(buf[j])) j++;
    if (!holds(buf, j, NULL)) {
      keys.push({ at: q, value: true, cut: [q, q] });
      continue;
    }
    j += NULL.length;
    const before = commaBefore(buf, q);
    let after = j;
    while (after < end && isSpace(buf[after])) after++;
    const cut: [number, number] =
      before >= 0 ? [before, j] : buf[after] === COMMA ? [q, after + 1] : [q, j];
    keys.push({ at: q, value: false, cut });
  }
  return keys;
}

const DATA = [0x64, 0x61, 0x74, 0x61, COLON]; // `data:`

/**
 * Where the comma before the member at `q` is, past whitespace and the `data:` of the lines the
 * event's JSON may be cut into; -1 when none is.
 */
function commaBefore(buf: Uint8Array, q: number): number {
  let i = q - 1;
  for (;;) {
    while (i >= 0 && isSpace(buf[i])) i--;
    const line = i - DATA.length + 1;
    if (line < 0 || !holds(buf, line, DATA) || (line > 0 && !isSpace(buf[line - 1]))) break;
    i = line - 1;
  }
  return buf[i] === COMMA ? i : -1;
}

/** The JSON of an SSE event's `data:` lines, joined as the SSE standard joins them. */
function eventData(event: string): string {
  const data: string[] = [];
  for (const line of event.split(/\r\n|\r|\n/))
    if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
  return data.join("\n");
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

/**
 * An OpenAI chat stream the gateway asked `include_usage` of for a client that did not, made
 * what the provider would have sent without it: its usage-only chunk (no choices) left out, and
 * the `"usage":null` member that option adds to every other chunk cut out. Works on bytes: a
 * provider chunk of whole events without usage (nearly all) goes on as it came, the same
 * `Uint8Array`, after one native search for `u`; only an event whose `usage` is not `null` is
 * decoded and parsed (its usage read into `usage`). A chunk's unfinished last event waits for the
 * rest of it (providers send one event per chunk).
 */
export function usageChunkStripper(o: { provider: GatewayProvider; usage: UsageSeen }) {
  const decoder = new TextDecoder();
  let held: Uint8Array | null = null;
  /** the parts of `buf[0, end)` (whole events; `ends` when already known) the client gets */
  const pass = (buf: Uint8Array, end: number, known: number[] | null): Uint8Array[] => {
    const keys = usageKeys(buf, end);
    if (!keys.length) return end ? [end === buf.length ? buf : buf.slice(0, end)] : [];
    const cuts: [number, number][] = [];
    if (!keys.some((x) => x.value)) for (const x of keys) cuts.push(x.cut);
    else {
      // an event that carries usage: cut per event, the usage-only one whole
      let start = 0;
      let k = 0;
      for (const e of known ?? eventEnds(buf.subarray(0, end))) {
        const mine = [];
        while (k < keys.length && keys[k].at < e) mine.push(keys[k++]);
        if (mine.some((x) => x.value) && dropEvent(buf.subarray(start, e))) cuts.push([start, e]);
        else for (const x of mine) if (!x.value) cuts.push(x.cut);
        start = e;
      }
    }
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const [a, b] of cuts) {
      if (a > at) parts.push(buf.subarray(at, a));
      at = b;
    }
    if (end > at) parts.push(buf.subarray(at, end));
    return parts.length ? [concat(parts)] : [];
  };
  /** reads the event's usage; true when it is the usage-only chunk */
  const dropEvent = (event: Uint8Array): boolean => {
    const data = eventData(decoder.decode(event));
    if (!data || data === "[DONE]") return false;
    try {
      const obj = JSON.parse(data);
      readUsage(o.provider, obj, o.usage);
      return isUsageOnlyChunk(obj);
    } catch {
      return false;
    }
  };
  return {
    /** the bytes to pass on for this chunk of the answer (none while an event is unfinished) */
    push(chunk: Uint8Array): Uint8Array[] {
      const buf = held ? concat([held, chunk]) : chunk;
      const n = buf.length;
      // the common case: whole events (the chunk ends with a blank line), no usage in them
      const whole =
        n >= 2 &&
        ((buf[n - 1] === LF && buf[n - 2] === LF) ||
          (n >= 4 && buf[n - 1] === LF && buf[n - 2] === CR && buf[n - 3] === LF));
      const ends = whole ? null : eventEnds(buf);
      const end = ends ? (ends.at(-1) ?? 0) : n;
      held = end < n ? buf.slice(end) : null;
      return pass(buf, end, ends);
    },
    /** at the answer's end: what is left, an event without its blank line */
    end(): Uint8Array[] {
      const rest = held;
      held = null;
      return rest ? pass(rest, rest.length, [rest.length]) : [];
    },
  };
}
