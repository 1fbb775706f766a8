// Finding 8 (signup): `POST /api/v1/teams` needs no key, so it is limited per client address
// (`cf-connecting-ip`): SIGNUPS_PER_IP_PER_HOUR, a token bucket in the RateLimiter Durable Object.
// The test suite's own signups pass a raised limit (vitest.config.ts); these tests set their own.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWithEnv, expectProblem } from "../helpers/api.ts";

const signup = (ip: string | undefined, limit = "3") =>
  callWithEnv({ SIGNUPS_PER_IP_PER_HOUR: limit }, "POST", "/api/v1/teams", {
    headers: ip === undefined ? {} : { "cf-connecting-ip": ip },
    body: { name: "rate", owner: { email: `o-${crypto.randomUUID()}@example.com` } },
  });

const randomIpv4 = () => `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 256)).join(".")}`;

describe("signup is rate limited per client address", () => {
  it("the limit's worth of signups pass; the next is 429 with Retry-After and RateLimit headers", async () => {
    const ip = randomIpv4();
    for (let i = 0; i < 3; i++) {
      const ok = await signup(ip);
      expect(ok.status, ok.text).toBe(201);
      expect(ok.headers.get("ratelimit-policy")).toBe('"signup";q=3;w=3600');
      expect(ok.headers.get("ratelimit")).toMatch(new RegExp(`^"signup";r=${2 - i};t=\\d+$`));
    }
    const refused = await signup(ip);
    const body = expectProblem(refused, 429, "rate_limited");
    expect(body.detail).toMatch(/signups from this address.*3 an hour/);
    expect(body.retryable).toBe(true);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(1200); // one token comes back every 3600/3 s
    expect(refused.headers.get("ratelimit")).toMatch(/^"signup";r=0;t=\d+$/);
    expect(refused.headers.get("ratelimit-policy")).toBe('"signup";q=3;w=3600');
  });

  it("another address has its own budget", async () => {
    const a = randomIpv4();
    for (let i = 0; i < 3; i++) expect((await signup(a)).status).toBe(201);
    expect((await signup(a)).status).toBe(429);
    expect((await signup(randomIpv4())).status).toBe(201);
  });

  it("IPv6 addresses of one /64 share a budget", async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    expect((await signup(`${prefix}::1`, "2")).status).toBe(201);
    expect((await signup(`${prefix}:0:0:0:2`, "2")).status).toBe(201);
    expect((await signup(`${prefix}:ffff::3`, "2")).status).toBe(429);
  });

  it("a request without cf-connecting-ip is limited too (one shared budget), never unlimited", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await signup(undefined, "2")).status);
    expect(statuses).toContain(429);
  });

  it("a refused signup creates nothing", async () => {
    const ip = randomIpv4();
    expect((await signup(ip, "1")).status).toBe(201);
    const email = `o-${crypto.randomUUID()}@example.com`;
    const refused = await callWithEnv({ SIGNUPS_PER_IP_PER_HOUR: "1" }, "POST", "/api/v1/teams", {
      headers: { "cf-connecting-ip": ip },
      body: { name: "rate", owner: { email } },
    });
    expect(refused.status).toBe(429);
    expect(
      await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first(),
    ).toBeNull();
  });
});
