// The model gateway's held-back usage chunk (services/gateway/strip-usage.ts, tap.ts): an OpenAI
// chat stream asked for `include_usage` on behalf of a client that did not is handed to it as the
// provider would have sent it without, however the provider's bytes are cut into chunks.
import { describe, expect, it } from "vitest";
import { usageChunkStripper } from "../../src/services/gateway/strip-usage.ts";
import { usageStripTap } from "../../src/services/gateway/tap.ts";
import { noUsage } from "../../src/services/gateway/usage.ts";

const usage = { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 };
const enc = new TextEncoder();
const dec = new TextDecoder();

/** An answer as OpenAI streams it, with `include_usage` (asked) or without. */
function answer(o: { asked: boolean; eol?: string; multiline?: boolean; spaced?: boolean }) {
  const eol = o.eol ?? "\n";
  const json = (obj: unknown) =>
    o.spaced
      ? JSON.stringify(obj).replace(/":/g, '": ').replace(/,"/g, ', "')
      : JSON.stringify(obj);
  const event = (obj: unknown) => {
    const data = json(obj);
    // the JSON cut over several `data:` lines, where whitespace may go
    const lines = o.multiline ? data.replace(/,"/g, ',\n"').split("\n") : [data];
    return `${lines.map((l) => `data: ${l}`).join(eol)}${eol}${eol}`;
  };
  const chunk = (delta: object, finish: string | null = null) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    model: "gpt-4.1",
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(o.asked ? { usage: null } : {}),
  });
  return [
    event(chunk({ role: "assistant", content: "" })),
    // a delta that talks about usage: escaped inside its string, not a key
    event(chunk({ content: 'say "usage": null and {"usage":{"a":1}}' })),
    event(chunk({ content: "hello" })),
    event(chunk({}, "stop")),
    ...(o.asked
      ? [event({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [], usage })]
      : []),
    `data: [DONE]${eol}${eol}`,
  ].join("");
}

/** The client's copy of `bytes` sent in `pieces`, and the usage read on the way. */
function strip(bytes: Uint8Array, cuts: number[]) {
  const seen = noUsage();
  const s = usageChunkStripper({ provider: "openai", usage: seen });
  const out: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...s.push(bytes.slice(at, cut)));
    at = cut;
  }
  out.push(...s.end());
  return { text: out.map((b) => dec.decode(b, { stream: true })).join(""), seen };
}

const read = { input: 1234, output: 56, cacheRead: 0, cacheWrite: 0, seen: true };

describe("the usage chunk held back from a client that did not ask for it", () => {
  for (const [name, o] of [
    ["LF", {}],
    ["CRLF", { eol: "\r\n" }],
    ["CR", { eol: "\r" }],
    ["multi-line data", { multiline: true }],
    ["CRLF, multi-line data", { eol: "\r\n", multiline: true }],
    ["spaced JSON", { spaced: true }],
  ] as const) {
    it(`${name}: the client gets what the provider sends without include_usage, cut at every byte`, () => {
      const sent = enc.encode(answer({ ...o, asked: true }));
      const want = answer({ ...o, asked: false });
      expect(strip(sent, [])).toEqual({ text: want, seen: read });
      for (let k = 1; k < sent.length; k++) {
        const got = strip(sent, [k]);
        expect(got.text, `cut at ${k}`).toBe(want);
        expect(got.seen, `cut at ${k}`).toEqual(read);
      }
      // and one byte at a time
      expect(strip(sent, [...sent.keys()].slice(1))).toEqual({ text: want, seen: read });
    });
  }

  it("cut at every pair of byte boundaries around the usage event", () => {
    const sent = enc.encode(answer({ asked: true }));
    const want = answer({ asked: false });
    const from = dec.decode(sent).indexOf('"choices":[]') - 40;
    for (let a = from; a < sent.length - 20; a += 3)
      for (let b = a + 1; b < sent.length; b += 7)
        expect(strip(sent, [a, b]).text, `cut at ${a}, ${b}`).toBe(want);
  });

  it("a chunk of whole events without usage goes on as it came, the same bytes object", () => {
    const s = usageChunkStripper({ provider: "openai", usage: noUsage() });
    const chunk = enc.encode(`${answer({ asked: false }).split("\n\n")[2]}\n\n`);
    const [out] = s.push(chunk);
    expect(out).toBe(chunk);
  });

  it("a stream whose usage chunk carries choices too keeps it, usage read", () => {
    const obj = { choices: [{ index: 0, delta: { content: "x" } }], usage };
    const text = `data: ${JSON.stringify(obj)}\n\ndata: [DONE]\n\n`;
    expect(strip(enc.encode(text), [7])).toEqual({ text, seen: read });
  });

  it("through the tap: the client's copy, and the usage once the answer ended", async () => {
    const sent = enc.encode(answer({ asked: true, eol: "\r\n" }));
    let done: unknown;
    const tap = usageStripTap({
      provider: "openai",
      sse: true,
      usage: noUsage(),
      startedAt: Date.now(),
      done: (r) => (done = r.usage),
    });
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        for (let at = 0; at < sent.length; at += 13) c.enqueue(sent.slice(at, at + 13));
        c.close();
      },
    });
    const got = await new Response(source.pipeThrough(tap)).text();
    expect(got).toBe(answer({ asked: false, eol: "\r\n" }));
    expect(done).toEqual(read);
  });
});
