import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { takeLeased } from "../../src/lib/leased-limiter.ts";

/** The real `RATE_LIMITER` binding, counting the objects the limiter reaches for. */
function counted() {
  let calls = 0;
  const ns = env.RATE_LIMITER;
  const wrapped = new Proxy(ns, {
    get(target, prop) {
      if (prop === "getByName")
        return (name: string) => {
          calls++;
          return target.getByName(name);
        };
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const pending: Promise<unknown>[] = [];
  return {
    env: { ...env, RATE_LIMITER: wrapped } as Env,
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    settle: () => Promise.all(pending.splice(0)),
    calls: () => calls,
  };
}

describe("the in-isolate limiter (leases)", () => {
  it("serves most requests from its lease, without a Durable Object call", async () => {
    const c = counted();
    const rule = { name: "t-lease", limit: 1200, windowSeconds: 60 };
    const key = crypto.randomUUID();
    for (let i = 0; i < 200; i++) {
      expect((await takeLeased(c.env, rule, key, c.waitUntil)).decision).toMatchObject({
        ok: true,
      });
      await c.settle();
    }
    // a lease is a twentieth of the limit (60), renewed when half is spent: ~7 calls for 200
    expect(c.calls()).toBeLessThanOrEqual(10);
  });

  it("admits exactly the limit, then refuses without calling again until a token is due", async () => {
    const c = counted();
    const rule = { name: "t-lease", limit: 10, windowSeconds: 60 };
    const key = crypto.randomUUID();
    const answers = [];
    for (let i = 0; i < 15; i++) {
      answers.push((await takeLeased(c.env, rule, key, c.waitUntil)).decision);
      await c.settle();
    }
    expect(answers.filter((a) => a.ok)).toHaveLength(10);
    expect(answers[10]).toMatchObject({ ok: false, code: "rate_limited", retryAfterSeconds: 6 });
    const callsAtFirstRefusal = c.calls();
    await takeLeased(c.env, rule, key, c.waitUntil);
    expect(c.calls()).toBe(callsAtFirstRefusal); // remembered: tokens only come back with time
    // another key of the same rule is its own bucket
    const other = await takeLeased(c.env, rule, crypto.randomUUID(), c.waitUntil);
    expect(other).toMatchObject({ waited: true });
    expect(other.decision).toMatchObject({
      ok: true,
      remaining: 9,
    });
  });
});
