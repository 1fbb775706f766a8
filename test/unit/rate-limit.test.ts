import { describe, expect, it } from "vitest";
import { addressKey, fullAt, rateLimitHeaders, takeToken } from "../../src/lib/rate-limit.ts";

const rule = { name: "r", limit: 4, windowSeconds: 3600 };

describe("takeToken", () => {
  it("allows a burst of `limit`, then refuses until a token comes back (window / limit)", () => {
    let bucket = null as Parameters<typeof takeToken>[0];
    const t0 = 1_000_000;
    for (let i = 3; i >= 0; i--) {
      const r = takeToken(bucket, rule, t0);
      expect(r.decision).toMatchObject({ ok: true, remaining: i });
      bucket = r.bucket;
    }
    const refused = takeToken(bucket, rule, t0);
    expect(refused.decision).toEqual({
      ok: false,
      code: "rate_limited",
      retryAfterSeconds: 900,
      resetSeconds: 3600,
    });
    expect(takeToken(bucket, rule, t0 + 900_000).decision).toMatchObject({
      ok: true,
      remaining: 0,
    });
    expect(fullAt(bucket!, rule)).toBe(t0 + 3_600_000);
  });

  it("headers follow the draft's structured form", () => {
    const { decision } = takeToken(null, rule, 0);
    expect(rateLimitHeaders(rule, decision)).toEqual({
      "ratelimit-policy": '"r";q=4;w=3600',
      ratelimit: '"r";r=3;t=900',
    });
  });
});

describe("addressKey", () => {
  it("keeps IPv4, folds IPv6 to its /64, and never answers 'no key'", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:DB8:0:1::5")).toBe("2001:db8:0:1::/64");
    expect(addressKey("2001:db8:0:1:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:0:1::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey(undefined)).toBe("unknown");
    expect(addressKey("  ")).toBe("unknown");
  });
});
