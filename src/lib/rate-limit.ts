/**
 * Token-bucket rate limits: the pure arithmetic, the headers that describe a limit, and the key of
 * a client address. The state of each bucket lives in a `RateLimiter` Durable Object named by
 * `<rule>:<key>` (durable-objects/rate-limiter), which calls `takeToken`; `middleware/rate-limit.ts`
 * puts a limit in front of a route. Any limit (per address, per key, per team) is a rule and a key.
 */

/** `limit` requests per `windowSeconds`, refilled continuously; a full bucket allows a burst of `limit`. */
export type RateRule = { name: string; limit: number; windowSeconds: number };
export type Bucket = { tokens: number; at: number };
export type RateDecision =
  | { ok: true; remaining: number; resetSeconds: number }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number; resetSeconds: number };

/** Takes `cost` tokens from `bucket` (null: never used, so full) at `now` (ms). */
export function takeToken(
  bucket: Bucket | null,
  rule: RateRule,
  now: number,
  cost = 1,
): { bucket: Bucket; decision: RateDecision } {
  const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
  const tokens = bucket
    ? Math.min(rule.limit, bucket.tokens + (elapsed * rule.limit) / (rule.windowSeconds * 1000))
    : rule.limit;
  const ok = tokens >= cost;
  const left = ok ? tokens - cost : tokens;
  const secondsFor = (n: number) => Math.ceil((n * rule.windowSeconds) / rule.limit); // multiply first: exact for whole tokens
  const resetSeconds = secondsFor(rule.limit - left);
  const decision: RateDecision = ok
    ? { ok, remaining: Math.floor(left), resetSeconds }
    : {
        ok,
        code: "rate_limited",
        retryAfterSeconds: Math.max(1, secondsFor(cost - left)),
        resetSeconds,
      };
  return { bucket: { tokens: left, at: now }, decision };
}

/** When the bucket is full again (ms), after which its state is the same as none. */
export const fullAt = (bucket: Bucket, rule: RateRule) =>
  bucket.at + Math.ceil(((rule.limit - bucket.tokens) * rule.windowSeconds * 1000) / rule.limit);

/**
 * `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), and `Retry-After`
 * when refused: what a client needs to pace itself.
 */
export function rateLimitHeaders(rule: RateRule, d: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    "ratelimit-policy": `"${rule.name}";q=${rule.limit};w=${rule.windowSeconds}`,
    ratelimit: `"${rule.name}";r=${d.ok ? d.remaining : 0};t=${d.resetSeconds}`,
  };
  if (!d.ok) headers["retry-after"] = String(d.retryAfterSeconds);
  return headers;
}

/**
 * The rate-limit key of a client address (`cf-connecting-ip`, set by Cloudflare on every request):
 * IPv4 as is; IPv6 by its /64, which one subscriber usually holds whole. A request without the
 * header (only outside Cloudflare: local dev, tests) shares the one key `unknown`, never no limit.
 */
export function addressKey(ip: string | null | undefined): string {
  const v = ip?.trim().toLowerCase();
  if (!v) return "unknown";
  if (!v.includes(":")) return v;
  const [head, tail] = v.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : g))
    .join(":")}::/64`;
}
