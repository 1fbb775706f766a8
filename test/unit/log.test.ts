import { afterEach, describe, expect, it, vi } from "vitest";
import { errorText, log } from "../../src/lib/log.ts";

afterEach(() => vi.restoreAllMocks());

/** What `log[level]` writes, and through which console method. */
function written(level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) {
  const out: [string, unknown[]][] = [];
  for (const m of ["log", "warn", "error"] as const)
    vi.spyOn(console, m).mockImplementation((...args) => void out.push([m, args]));
  log[level](msg, fields);
  return out;
}

describe("log", () => {
  it("writes one line of JSON, msg first and the fields as given, at the console level of its severity", () => {
    expect(
      written("info", "housekeeping", { idempotency_keys_pruned: 2, team_keys_rewrapped: 0 }),
    ).toEqual([
      ["log", ['{"msg":"housekeeping","idempotency_keys_pruned":2,"team_keys_rewrapped":0}']],
    ]);
    expect(
      written("warn", "runs queue: unknown message dropped", { queue: "ambit-runs", id: "m1" }),
    ).toEqual([
      ["warn", ['{"msg":"runs queue: unknown message dropped","queue":"ambit-runs","id":"m1"}']],
    ]);
    expect(written("error", "no fields")).toEqual([["error", ['{"msg":"no fields"}']]]);
  });

  it("writes an error field as String(err) gives it, and leaves an absent field out", () => {
    const err = new TypeError("boom");
    expect(
      written("error", "dispatch send failed", { run_id: "r1", error: err, stack: undefined }),
    ).toEqual([
      [
        "error",
        [JSON.stringify({ msg: "dispatch send failed", run_id: "r1", error: String(err) })],
      ],
    ]);
    expect(written("error", "x", { error: "already text" })[0][1]).toEqual([
      '{"msg":"x","error":"already text"}',
    ]);
    expect(written("error", "x", { error: { code: 1 } })[0][1]).toEqual([
      '{"msg":"x","error":"[object Object]"}',
    ]);
  });

  it("never throws: an error without text, or fields JSON cannot write, still give a line", () => {
    expect(errorText(Object.create(null))).toBe("an error that has no text");
    expect(written("error", "x", { error: Object.create(null) })[0][1]).toEqual([
      '{"msg":"x","error":"an error that has no text"}',
    ]);
    const [[, [line]]] = written("error", "x", { n: 1n });
    expect(JSON.parse(line as string)).toMatchObject({
      msg: "x",
      log_error: expect.stringContaining("could not be written"),
    });
  });
});
