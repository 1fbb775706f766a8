import { MAX_EVENT_TEXT } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import type { HarnessEvent } from "../../../packages/runner/src/harness/types.ts";
import { EventPipeline } from "../../../packages/runner/src/pipeline/events.ts";
import { Redactor } from "../../../packages/runner/src/pipeline/redact.ts";

const SECRETS = [
  { name: "API_TOKEN", value: "tok_3f9a8b7c6d5e" },
  { name: "DB_PASSWORD", value: "hunter2-hunter2" },
  { name: "SHORT", value: "tok_" }, // a prefix of API_TOKEN: the longer value must win
];

/** Every `command.output` chunk of one stream, joined. */
const joined = (events: HarnessEvent[], stream = "stdout") =>
  events
    .filter((e) => e.type === "command.output" && e.payload.stream === stream)
    .map((e) => e.payload.chunk)
    .join("");

describe("Redactor", () => {
  const r = new Redactor(SECRETS);

  it("replaces every value in every string of a payload, keys included, longest value first", () => {
    const payload = {
      text: "token tok_3f9a8b7c6d5e and tok_x",
      nested: [{ "k-hunter2-hunter2": "pw=hunter2-hunter2" }],
      n: 3,
    };
    expect(r.deep(payload)).toEqual({
      text: "token [REDACTED:API_TOKEN] and [REDACTED:SHORT]x",
      nested: [{ "k-[REDACTED:DB_PASSWORD]": "pw=[REDACTED:DB_PASSWORD]" }],
      n: 3,
    });
    expect(payload.text).toContain("tok_3f9a8b7c6d5e"); // the input is not changed
  });

  it("treats regex characters in values literally and ignores empty values", () => {
    const odd = new Redactor([
      { name: "ODD", value: "a.b*c(d)" },
      { name: "EMPTY", value: "" },
    ]);
    expect(odd.text("xa.b*c(d)y aXbbc")).toBe("x[REDACTED:ODD]y aXbbc");
    expect(new Redactor([]).text("anything")).toBe("anything");
  });

  it("catches a value split at every possible point across two chunks", () => {
    const value = SECRETS[0].value;
    for (let cut = 0; cut <= value.length; cut++) {
      const text = `before ${value} after`;
      const at = "before ".length + cut;
      const a = r.stream("", text.slice(0, at));
      const b = r.stream(a.held, text.slice(at));
      const out = a.out + b.out + r.text(b.held);
      expect(out, `cut at ${cut}`).toBe("before [REDACTED:API_TOKEN] after");
    }
  });

  it("catches a value split over many one-character chunks", () => {
    let held = "";
    let out = "";
    for (const ch of `x${SECRETS[1].value}y${SECRETS[0].value}`) {
      const s = r.stream(held, ch);
      out += s.out;
      held = s.held;
    }
    out += r.text(held);
    expect(out).toBe("x[REDACTED:DB_PASSWORD]y[REDACTED:API_TOKEN]");
  });
});

describe("EventPipeline", () => {
  const collect = () => {
    const events: HarnessEvent[] = [];
    return { events, pipeline: new EventPipeline(new Redactor(SECRETS), (e) => events.push(e)) };
  };

  it("redacts values split across consecutive command.output chunks of the same stream, never leaking a piece", () => {
    const { events, pipeline } = collect();
    const secret = SECRETS[0].value;
    pipeline.emit({
      type: "command.output",
      payload: { call_id: "c1", stream: "stdout", chunk: `export T=${secret.slice(0, 5)}` },
    });
    pipeline.emit({
      type: "command.output",
      payload: { call_id: "c1", stream: "stderr", chunk: "warning\n" },
    });
    pipeline.emit({
      type: "command.output",
      payload: { call_id: "c1", stream: "stdout", chunk: secret.slice(5, 9) },
    });
    pipeline.emit({
      type: "command.output",
      payload: { call_id: "c1", stream: "stdout", chunk: `${secret.slice(9)}\ndone\n` },
    });
    pipeline.emit({
      type: "agent.tool_result",
      payload: { call_id: "c1", name: "shell", state: "completed", output: { exit_code: 0 } },
    });
    expect(joined(events)).toBe("export T=[REDACTED:API_TOKEN]\ndone\n");
    expect(joined(events, "stderr")).toBe("warning\n");
    for (const e of events) {
      const s = JSON.stringify(e.payload);
      // no run of 5+ characters of the secret ever left in any one event
      for (let i = 0; i + 5 <= secret.length; i++) expect(s).not.toContain(secret.slice(i, i + 5));
    }
    // held-back text is sent before the event that follows it
    expect(events[events.length - 1].type).toBe("agent.tool_result");
  });

  it("holds back only an end that could begin a secret, and never sends it on its own while the stream idles", async () => {
    const { events, pipeline } = collect();
    pipeline.emit({ type: "command.output", payload: { stream: "stdout", chunk: "Password: " } });
    expect(joined(events)).toBe("Password: "); // nothing there can begin a secret: sent whole at once
    pipeline.emit({
      type: "command.output",
      payload: { stream: "stdout", chunk: "token tok_3f9" },
    });
    expect(joined(events)).toBe("Password: token "); // "tok_3f9" may be API_TOKEN's start
    await new Promise((r) => setTimeout(r, 300)); // a slow printer: the start stays on the host
    expect(joined(events)).toBe("Password: token ");
    pipeline.emit({
      type: "command.output",
      payload: { stream: "stdout", chunk: "a8b7c6d5e ok\n" },
    });
    expect(joined(events)).toBe("Password: token [REDACTED:API_TOKEN] ok\n");
    // a tail that turns out not to be a secret goes out with the next event
    pipeline.emit({ type: "command.output", payload: { stream: "stdout", chunk: "hunter" } });
    pipeline.emit({ type: "agent.message", payload: { text: "done" } });
    expect(joined(events)).toBe("Password: token [REDACTED:API_TOKEN] ok\nhunter");
  });

  it("keeps text within MAX_EVENT_TEXT: long output is split, other text is cut with a marker", () => {
    const { events, pipeline } = collect();
    const big = "x".repeat(MAX_EVENT_TEXT * 2 + 10);
    pipeline.emit({ type: "command.output", payload: { stream: "stdout", chunk: big } });
    pipeline.flush();
    const out = events.filter((e) => e.type === "command.output");
    expect(out.length).toBe(3);
    expect(out.every((e) => (e.payload.chunk as string).length <= MAX_EVENT_TEXT)).toBe(true);
    expect(joined(events)).toBe(big);
    pipeline.emit({
      type: "agent.message",
      payload: { text: `${"y".repeat(MAX_EVENT_TEXT + 5)}${SECRETS[1].value}` },
    });
    const msg = events[events.length - 1].payload.text as string;
    expect(msg).toMatch(/…\[truncated by Ambit: \d+ more characters\]$/);
    expect(msg).not.toContain(SECRETS[1].value.slice(0, 7));
  });
});
