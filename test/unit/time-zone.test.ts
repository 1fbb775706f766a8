import { describe, expect, it } from "vitest";
import { localDate, offsetAt, offsetSegments, startOfDate } from "../../src/lib/time-zone.ts";

const at = Date.parse;

describe("time zones for day buckets", () => {
  it("reads a zone's offset on both sides of a daylight-saving change", () => {
    expect(offsetAt(at("2026-03-29T00:59:59Z"), "Europe/Paris")).toBe(3_600_000);
    expect(offsetAt(at("2026-03-29T01:00:00Z"), "Europe/Paris")).toBe(7_200_000);
    expect(offsetAt(at("2026-07-01T00:00:00Z"), "America/New_York")).toBe(-4 * 3_600_000);
    expect(offsetAt(at("2026-07-01T00:00:00Z"), "UTC")).toBe(0);
  });

  it("lists one segment per change, starting at its exact millisecond", () => {
    expect(
      offsetSegments(at("2026-03-28T00:00:00Z"), at("2026-04-01T00:00:00Z"), "Europe/Paris"),
    ).toEqual([
      { from: at("2026-03-28T00:00:00Z"), offset: 3_600_000 },
      { from: at("2026-03-29T01:00:00Z"), offset: 7_200_000 },
    ]);
    // spring and autumn in one range
    const year = offsetSegments(
      at("2026-03-01T00:00:00Z"),
      at("2026-11-30T00:00:00Z"),
      "America/New_York",
    );
    expect(year.map((s) => new Date(s.from).toISOString())).toEqual([
      "2026-03-01T00:00:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-11-01T06:00:00.000Z",
    ]);
    expect(offsetSegments(0, 90 * 86_400_000, "UTC")).toEqual([{ from: 0, offset: 0 }]);
  });

  it("finds a day's first instant, also where a change skips its midnight", () => {
    expect(new Date(startOfDate("2026-03-29", "Europe/Paris")).toISOString()).toBe(
      "2026-03-28T23:00:00.000Z",
    );
    expect(new Date(startOfDate("2026-03-30", "Europe/Paris")).toISOString()).toBe(
      "2026-03-29T22:00:00.000Z",
    );
    // Chile moves from 00:00 to 01:00 on the first Sunday of September: that day starts at 01:00
    expect(new Date(startOfDate("2026-09-06", "America/Santiago")).toISOString()).toBe(
      "2026-09-06T04:00:00.000Z",
    );
    expect(localDate(startOfDate("2026-09-06", "America/Santiago"), "America/Santiago")).toBe(
      "2026-09-06",
    );
    expect(localDate(at("2026-09-06T03:59:59.999Z"), "America/Santiago")).toBe("2026-09-05");
  });
});
