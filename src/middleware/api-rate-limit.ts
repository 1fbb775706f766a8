import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client.ts";
import { type ApiBudget, apiRules, budgetOf, varOf } from "../lib/api-rate-limits.ts";
import { AppError } from "../lib/errors.ts";
import { takeLeased } from "../lib/leased-limiter.ts";
import { type RateDecision, rateLimitHeaders, type RateRule } from "../lib/rate-limit.ts";
import { teamRateLimitsAt } from "../services/team-rate-limits.ts";
import { API_BASE } from "./scope.ts";
import type { AppEnv } from "./types.ts";

type Taken = { per: "key" | "team"; rule: RateRule; decision: RateDecision; waited: boolean };

/**
 * After `requireAuth`: an authenticated request takes a token from its key's bucket and its
 * team's for its budget (lib/api-rate-limits.ts). Answers carry every policy in
 * `RateLimit-Policy` / `RateLimit`; past one, 429 `rate_limited` with `Retry-After`.
 */
export const apiRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get("auth")) return next(); // a platform host's credential: one connection per run
  const path = c.req.path.startsWith(API_BASE) ? c.req.path.slice(API_BASE.length) : c.req.path;
  const headers = await takeApiBudget(c, budgetOf(c.req.method, path));
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  await next();
});

/**
 * Takes a token of `budget` from the caller's key (or console session) and its team, at the
 * team's limits now (services/team-rate-limits.ts): mostly from this isolate's lease of them
 * (lib/leased-limiter.ts), without a Durable Object call. Answers the `RateLimit` headers, or
 * throws 429 with them. Also for routes that authenticate themselves (an attach with a key).
 */
export async function takeApiBudget(
  c: Context<AppEnv>,
  budget: ApiBudget,
): Promise<Record<string, string>> {
  const auth = c.get("auth");
  if (!auth) return {};
  const started = performance.now();
  const limits = await teamRateLimitsAt(
    c.env,
    createDb(c.env.DB),
    auth.teamId,
    auth.configVersion ?? 0,
  );
  const rules = apiRules(limits, budget);
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const taken: Taken[] = await Promise.all(
    [
      { per: "key" as const, rule: rules.key, id: auth.actor.keyId },
      { per: "team" as const, rule: rules.team, id: auth.teamId },
    ].map(async (w) => ({ ...w, ...(await takeLeased(c.env, w.rule, w.id, waitUntil)) })),
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
      `too many ${budget.replace("_", " ")} ${who}: ${refused.rule.limit} a minute are allowed (the team's rate_limits in GET /team; at most ${varOf(budget, refused.per)}, set by the platform's operator, unless a platform admin raised it); retry in ${retry} s (Retry-After)`,
      { headers: { ...headers, "retry-after": String(retry) } },
    );
  }
  return headers;
}
