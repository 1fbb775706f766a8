import type { Context, MiddlewareHandler } from "hono";
import { rateLimiter } from "../../durable-objects/stubs.ts";
import { AppError } from "../lib/errors.ts";
import { takeLeased } from "../lib/leased-limiter.ts";
import { rateLimitHeaders, type RateRule } from "../lib/rate-limit.ts";
import type { AppEnv } from "./types.ts";

/**
 * Limits a route by a rule and a key chosen per request (`limitOf`), e.g. signups per client
 * address. Every answer carries the `RateLimit` headers; past the limit the route is not run: 429
 * `rate_limited` with `Retry-After`, and `refusal` says what was refused and how to go on.
 * `leased`: for busy routes, tokens come from the isolate's lease (lib/leased-limiter.ts), mostly
 * without a Durable Object call; else every request asks the object (exact to the token at once).
 */
export function rateLimit(
  limitOf: (c: Context<AppEnv>) => {
    rule: RateRule;
    key: string;
    refusal: (retryAfterSeconds: number) => string;
  },
  opts: { leased?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { rule, key, refusal } = limitOf(c);
    const decision = opts.leased
      ? (await takeLeased(c.env, rule, key, (p) => c.executionCtx.waitUntil(p))).decision
      : await rateLimiter(c.env, rule.name, key).take(rule);
    const headers = rateLimitHeaders(rule, decision);
    if (!decision.ok)
      throw new AppError("rate_limited", refusal(decision.retryAfterSeconds), { headers });
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    await next();
  };
}
