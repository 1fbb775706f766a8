// The SDK's Server-Sent Events parser, fed the way a network delivers bytes: in arbitrary chunks.
import { describe, expect, it } from "vitest";
import { parseSse, type SseMessage } from "../../../packages/sdk/src/core/sse.ts";

async function parse(chunks: string[]): Promise<SseMessage[]> {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
  const out: SseMessage[] = [];
  for await (const m of parseSse(body)) out.push(m);
  return out;
}

describe("parseSse", () => {
  const stream =
    'id: 1\nevent: run.created\ndata: {"seq":1}\n\n: keep-alive comment\n\nid: 2\r\nevent: agent.message\r\ndata: line one\r\ndata: line two\r\n\r\n';

  it("parses ids, event names, multi-line data, comments and CRLF", async () => {
    expect(await parse([stream])).toEqual([
      { id: "1", event: "run.created", data: '{"seq":1}' },
      { id: "2", event: "agent.message", data: "line one\nline two" },
    ]);
  });

  it("gives the same messages however the bytes are split", async () => {
    const whole = await parse([stream]);
    for (let cut = 1; cut < stream.length; cut++)
      expect(await parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
    expect(await parse([...stream])).toEqual(whole);
  });

  it("drops a message cut off before its blank line", async () => {
    expect(await parse(["id: 1\ndata: x\n\nid: 2\ndata: partial"])).toEqual([
      { id: "1", event: undefined, data: "x" },
    ]);
  });
});
