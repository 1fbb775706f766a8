import { describe, expect, it } from "vitest";
import { newUid, UUID_RE, uuidv7 } from "../../src/lib/ids.ts";

describe("newUid", () => {
  it("is 22 base62 characters by default, or the length asked for", () => {
    expect(newUid()).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(newUid(40)).toMatch(/^[0-9A-Za-z]{40}$/);
    expect(newUid(300)).toHaveLength(300); // longer than one batch of random bytes
  });

  it("does not repeat, and uses every character of the alphabet", () => {
    const ids = Array.from({ length: 2000 }, () => newUid());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join("")).size).toBe(62);
  });
});

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 UUID", () => {
    const id = uuidv7();
    expect(id).toMatch(UUID_RE);
    expect(id[14]).toBe("7");
    expect("89ab").toContain(id[19]);
  });

  it("carries its timestamp in the first 48 bits, so ids sort by time", () => {
    const t = Date.UTC(2026, 0, 31, 12, 0, 0, 123);
    const id = uuidv7(t);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(t);
    const ordered = [t - 1000, t, t + 1, t + 86_400_000].map((ms) => uuidv7(ms));
    expect([...ordered].sort()).toEqual(ordered);
  });

  it("differs within the same millisecond", () => {
    const t = Date.now();
    expect(new Set(Array.from({ length: 100 }, () => uuidv7(t))).size).toBe(100);
  });
});
