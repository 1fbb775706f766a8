import { describe, expect, it } from "vitest";
import { recentMap } from "../../src/lib/recent-map.ts";

describe("recentMap", () => {
  it("answers a value within its time and not after", () => {
    const m = recentMap<string>({ ttlMs: 1_000, max: 10 });
    m.set("a", "x", 0);
    expect(m.get("a", 999)).toBe("x");
    expect(m.get("a", 1_000)).toBeUndefined();
  });

  it("holds only what the last ttl set: each set drops the expired entries", () => {
    const m = recentMap<number>({ ttlMs: 60_000, max: 1_000 });
    // one run a second for ten minutes: the gateway's upstream per run
    for (let s = 0; s < 600; s++) m.set(`run-${s}`, s, s * 1_000);
    expect(m.size).toBe(60);
    expect(m.get("run-539", 599_000)).toBeUndefined();
    expect(m.get("run-540", 599_000)).toBe(540);
  });

  it("keeps to its bound when every entry is fresh, the oldest going first", () => {
    const m = recentMap<number>({ ttlMs: 60_000, max: 3 });
    for (let i = 0; i < 5; i++) m.set(`k${i}`, i, 0);
    expect(m.size).toBe(3);
    expect(m.get("k1", 0)).toBeUndefined();
    expect(m.get("k2", 0)).toBe(2);
  });

  it("a key set again moves to the newest end and lives from then", () => {
    const m = recentMap<number>({ ttlMs: 1_000, max: 10 });
    m.set("a", 1, 0);
    m.set("b", 2, 500);
    m.set("a", 3, 900);
    m.set("c", 4, 1_200); // "b"'s time is not up: nothing before it may go either way
    expect(m.get("a", 1_800)).toBe(3);
    m.set("d", 5, 1_600); // "b" expired at 1,500: gone; "a" (900) stays
    expect(m.size).toBe(3);
    expect(m.get("a", 1_600)).toBe(3);
  });

  it("forgets a key only while it holds the value given", () => {
    const m = recentMap<string>({ ttlMs: 1_000, max: 10 });
    m.set("a", "old", 0);
    m.set("a", "new", 10);
    m.forget("a", "old");
    expect(m.get("a", 20)).toBe("new");
    m.forget("a", "new");
    expect(m.size).toBe(0);
  });
});
