import { createMiddleware } from "hono/factory";
import { getConfig } from "../env.ts";
import { apiRules, budgetOf, varOf } from "../lib/api-rate-limits.ts";
import { AppError } from "../lib/errors.ts";
import { takeLeased } from "../lib/leased-limiter.ts";
import { type RateDecision, rateLimitHeaders, type RateRule } from "../lib/rate-limit.ts";
import { API_BASE } from "./scope.ts";
import type { AppEnv } from "./types.ts";

type Taken = { per: "key" | "team"; rule: RateRule; decision: RateDecision; waited: boolean };

/**
 * After `requireAuth`: an authenticated request takes a token from its key's bucket and its
 * team's for its budget (lib/api-rate-limits.ts), both at once, where the operator set them:
 * mostly from this isolate's lease of them (lib/leased-limiter.ts), without a Durable Object call.
 * Answers carry every policy in `RateLimit-Policy` / `RateLimit`; past one, 429 `rate_limited`
 * with `Retry-After`.
 */
export const apiRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get("auth");
  if (!auth) return next(); // a platform host's credential: one connection per run
  const path = c.req.path.startsWith(API_BASE) ? c.req.path.slice(API_BASE.length) : c.req.path;
  const budget = budgetOf(c.req.method, path);
  const rules = apiRules(getConfig(c.env), budget);
  const wanted = [
    rules.key && { per: "key" as const, rule: rules.key, id: auth.actor.keyId },
    rules.team && { per: "team" as const, rule: rules.team, id: auth.teamId },
  ].filter((w) => !!w);
  if (!wanted.length) return next();
  const started = performance.now();
  const taken: Taken[] = await Promise.all(
    wanted.map(async (w) => ({
      per: w.per,
      rule: w.rule,
      ...(await takeLeased(c.env, w.rule, w.id, (p) => c.executionCtx.waitUntil(p))),
    })),
  );
  const each = taken.map((t) => rateLimitHeaders(t.rule, t.decision));
  const via = taken.some((t) => t.waited) ? "object" : "lease";
  const headers: Record<string, string> = {
    // what the limiter added to this request, and whether it waited for a RateLimiter object
    // or spent tokens its isolate held (`npm run bench -- api` reads both)
    "server-timing": `ratelimit;dur=${(performance.now() - started).toFixed(2)};desc="${via}"`,
    "ratelimit-policy": each.map((h) => h["ratelimit-policy"]).join(", "),
    ratelimit: each.map((h) => h.ratelimit).join(", "),
  };
  const refused = taken.find((t) => !t.decision.ok);
  if (refused && !refused.decision.ok) {
    const retry = refused.decision.retryAfterSeconds;
    const who = refused.per === "key" ? "with this API key" : "by this team";
    throw new AppError(
      "rate_limited",
      `too many ${budget.replace("_", " ")} ${who}: ${refused.rule.limit} a minute are allowed (${varOf(budget, refused.per)}, set by the platform's operator); retry in ${retry} s (Retry-After)`,
      { headers: { ...headers, "retry-after": String(retry) } },
    );
  }
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  await next();
});
