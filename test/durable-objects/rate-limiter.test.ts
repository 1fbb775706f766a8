import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../durable-objects/rate-limiter/rate-limiter.ts";

describe("RateLimiter", () => {
  it("keeps one bucket per name and forgets it once full again (its alarm)", async () => {
    const rule = { name: "t", limit: 2, windowSeconds: 60 };
    const stub = env.RATE_LIMITER.getByName(`t:${crypto.randomUUID()}`) as DurableObjectStub<RateLimiter>;
    expect(await stub.take(rule)).toMatchObject({ ok: true, remaining: 1 });
    expect(await stub.take(rule)).toMatchObject({ ok: true, remaining: 0 });
    expect(await stub.take(rule)).toMatchObject({ ok: false, code: "rate_limited", retryAfterSeconds: 30 });
    expect(await env.RATE_LIMITER.getByName(`t:${crypto.randomUUID()}`).take(rule)).toMatchObject({ ok: true });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_i: RateLimiter, state) => expect([...state.storage.kv.list()]).toEqual([]));
    expect(await stub.take(rule)).toMatchObject({ ok: true, remaining: 1 });
  });
});
