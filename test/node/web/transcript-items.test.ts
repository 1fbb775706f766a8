// The console's transcript folds a run's events into what a reader follows: a tool call joined by
// its output and result, a vendor CLI's `log` line shown as what it said (not as raw JSON, not as
// an error), usage in words.
import type { RunEvent } from "@ambit/sdk";
import { describe, expect, it } from "vitest";
import { TranscriptBuilder } from "../../../packages/web/src/run/transcript-items.ts";

let seq = 0;
const ev = (type: string, payload: Record<string, unknown>): RunEvent =>
  ({
    seq: ++seq,
    type,
    at: "2026-12-07T01:00:00.000Z",
    actor: { type: "host", id: "h" },
    payload,
  }) as unknown as RunEvent;

describe("TranscriptBuilder", () => {
  it("joins a tool call's output and result to the call", () => {
    const items = new TranscriptBuilder().add([
      ev("agent.tool_call", { call_id: "c1", name: "shell", input: { command: "ls" } }),
      ev("agent.tool_result", { call_id: "c1", output: "a.txt" }),
    ]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: "tool", name: "shell", seqs: [seq - 1, seq] });
  });

  it("shows a vendor CLI's log line as what it said, a warning marked, never as an error", () => {
    const items = new TranscriptBuilder().add([
      ev("log", {
        level: "warning",
        message: "API returned 529; retrying in 2 s",
        source: "claude",
      }),
      ev("log", { level: "info", message: "model metadata not found" }),
    ]);
    expect(items.map((i) => i.kind === "note" && [i.tone, i.text])).toEqual([
      ["info", "claude (warning): API returned 529; retrying in 2 s"],
      ["info", "agent: model metadata not found"],
    ]);
  });

  it("puts usage in words", () => {
    const [item] = new TranscriptBuilder().add([
      ev("usage", { input_tokens: 12, output_tokens: 3, model_id: "m" }),
    ]);
    expect(item).toMatchObject({ kind: "note", text: "Tokens: 12 in, 3 out (m)" });
  });
});
