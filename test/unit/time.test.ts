import { describe, expect, it } from "vitest";
import { iso, isoDuration, isoOrNull } from "../../src/lib/time.ts";

describe("iso / isoOrNull", () => {
  it("render epoch milliseconds as RFC 3339 UTC with milliseconds", () => {
    expect(iso(Date.UTC(2026, 0, 31, 12, 34, 56, 789))).toBe("2026-01-31T12:34:56.789Z");
    expect(isoOrNull(0)).toBe("1970-01-01T00:00:00.000Z");
  });

  it("keep absent timestamps null", () => {
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(undefined)).toBeNull();
  });
});

describe("isoDuration", () => {
  it.each([
    [0, "PT0S"],
    [499, "PT0S"],
    [1_500, "PT2S"],
    [59_000, "PT59S"],
    [59_999, "PT1M"],
    [150_000, "PT2M30S"],
    [3_600_000, "PT1H"],
    [3_723_000, "PT1H2M3S"],
    [7_205_000, "PT2H5S"],
    [90_000_000, "PT25H"],
    [-5_000, "PT0S"],
  ])("renders %i ms as %s", (ms, expected) => {
    expect(isoDuration(ms)).toBe(expected);
  });
});
