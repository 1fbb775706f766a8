import { describe, expect, it } from "vitest";
import { advance, LEASE_MS, type LeasedBucket, lease } from "../../src/lib/rate-leases.ts";

const rule = { name: "r", limit: 60, windowSeconds: 60 }; // one token a second

describe("leased token buckets", () => {
  it("takes the request's token and leases at most half of what is left", () => {
    const { bucket, answer } = lease(null, rule, { holder: "a", held: 0, want: 10, cost: 1 }, 0);
    expect(answer).toMatchObject({ ok: true, kept: 0, granted: 10, tokens: 49, refillMs: 0 });
    expect(bucket.leases.a).toEqual({ n: 10, until: LEASE_MS });
    const small = lease(null, { ...rule, limit: 3 }, { holder: "a", held: 0, want: 1, cost: 1 }, 0);
    expect(small.answer).toMatchObject({ granted: 1, tokens: 1 });
  });

  it("never lets the object's tokens and the leases together pass the limit", () => {
    // many isolates drain the bucket into leases, then time passes: the object refills only up
    // to what the leases leave, so all of them together can admit no more than `limit` at once
    let b: LeasedBucket | null = null;
    let held = 0;
    for (let i = 0; i < 20; i++) {
      const r = lease(b, rule, { holder: `h${i}`, held: 0, want: 10, cost: 1 }, 0);
      b = r.bucket;
      held += r.answer.ok ? 1 + r.answer.granted : 0;
    }
    const later = advance(b, rule, 30_000); // 30 tokens' worth of time, leases still live
    const outstanding = Object.values(later.leases).reduce((s, l) => s + l.n, 0);
    expect(later.tokens + outstanding).toBeLessThanOrEqual(rule.limit);
    expect(held).toBeLessThanOrEqual(rule.limit);
  });

  it("gives an ended lease's share back only from its end on", () => {
    const first = lease(null, rule, { holder: "a", held: 0, want: 30, cost: 0 }, 0).bucket;
    // 30 leased, 30 left; the object takes 30 more at once: it is empty, the lease holds 30
    const drained = { ...first, tokens: 0 };
    const justAfter = advance(drained, rule, LEASE_MS + 1_000);
    // until LEASE_MS the cap was 30 (reached at 30 s); from then on 1 s of refill toward 60
    expect(justAfter.tokens).toBeCloseTo(31, 5);
    expect(justAfter.leases).toEqual({});
  });

  it("keeps of a holder's lease only what it says it still holds, and what it was given", () => {
    const one = lease(null, rule, { holder: "a", held: 0, want: 10, cost: 0 }, 0);
    const two = lease(one.bucket, rule, { holder: "a", held: 50, want: 10, cost: 0 }, 1_000);
    expect(two.answer.kept).toBe(10); // it claimed more than it had
    const three = lease(two.bucket, rule, { holder: "a", held: 4, want: 10, cost: 0 }, 2_000);
    expect(three.answer).toMatchObject({ kept: 4, granted: 6 });
  });

  it("starts over under a new limit: the old leases lapse, the tokens fit the new limit", () => {
    const old = lease(null, rule, { holder: "a", held: 0, want: 20, cost: 1 }, 0).bucket;
    const lowered = lease(
      old,
      { ...rule, limit: 3 },
      { holder: "a", held: 0, want: 1, cost: 1 },
      0,
    );
    expect(lowered.answer).toMatchObject({ ok: true, granted: 1, tokens: 1 });
    expect(lowered.bucket.limit).toBe(3);
  });

  it("refuses a request when no whole token is left, and says when one will be", () => {
    let b: LeasedBucket | null = null;
    for (let i = 0; i < 3; i++)
      b = lease(b, { ...rule, limit: 3 }, { holder: "a", held: 0, want: 0, cost: 1 }, 0).bucket;
    const r = lease(b, { ...rule, limit: 3 }, { holder: "a", held: 0, want: 1, cost: 1 }, 0);
    expect(r.answer).toMatchObject({ ok: false, granted: 0, refillMs: 20_000 });
  });
});
