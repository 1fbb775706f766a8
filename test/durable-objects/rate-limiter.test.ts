import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../durable-objects/rate-limiter/rate-limiter.ts";
import { rateLimiter } from "../../durable-objects/stubs.ts";

describe("RateLimiter", () => {
  it("keeps one bucket per name and forgets it once full again (its alarm)", async () => {
    const rule = { name: "t", limit: 2, windowSeconds: 60 };
    const stub = rateLimiter(env, "t", crypto.randomUUID());
    expect(await stub.take(rule)).toMatchObject({ ok: true, remaining: 1 });
    expect(await stub.take(rule)).toMatchObject({ ok: true, remaining: 0 });
    expect(await stub.take(rule)).toMatchObject({
      ok: false,
      code: "rate_limited",
      retryAfterSeconds: 30,
    });
    expect(await rateLimiter(env, "t", crypto.randomUUID()).take(rule)).toMatchObject({ ok: true });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_i: RateLimiter, state) =>
      expect([...state.storage.kv.list()]).toEqual([]),
    );
    expect(await stub.take(rule)).toMatchObject({ ok: true, remaining: 1 });
  });
});
