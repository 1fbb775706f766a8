import type { RateRule } from "./rate-limit.ts";

/**
 * Leased token buckets: the `RateLimiter` Durable Object's side of the in-isolate limiter
 * (lib/leased-limiter.ts). Pure arithmetic. An isolate (a `holder`) takes a small lease of tokens
 * it spends without asking again; the object counts every lease as taken until it ends (spent,
 * reported back unspent at the holder's next call, or expired), and caps its own tokens at
 * `limit − outstanding leases`. So the object's tokens plus every token any isolate holds never
 * exceed the rule's `limit`, and whatever all isolates admit over any span of d seconds is at most
 * `limit + limit × d / window`: exactly a token bucket's bound, as if each request had called.
 */

/** How long a lease lives (ms): a holder that goes quiet gives its tokens back by then. */
export const LEASE_MS = 60_000;

export type Lease = { n: number; until: number };
/** `limit`: the rule's when last called (a team's limit changes; the bucket then starts over) */
export type LeasedBucket = {
  tokens: number;
  at: number;
  limit: number;
  leases: Record<string, Lease>;
};

/** A call: `holder` still holds `held` of its lease and wants `want` in all, `cost` spent now. */
export type LeaseAsk = { holder: string; held: number; want: number; cost: 0 | 1 };

/**
 * What the holder may hold now (`kept` of what it had, plus `granted`) until `until`; `tokens`:
 * the object's own after this call, and `refillMs`, how long until it has a whole one again.
 * `ok: false`: `cost` was 1 and no token was there (the lease is still renewed).
 */
export type LeaseAnswer = {
  ok: boolean;
  kept: number;
  granted: number;
  until: number;
  tokens: number;
  refillMs: number;
};

const rateOf = (rule: RateRule) => rule.limit / (rule.windowSeconds * 1000); // tokens per ms

/**
 * Refills the bucket to `now`, step by step: a lease that ended gives its share of the cap back
 * only from its end on, so the tokens never pass `limit − outstanding` at any moment.
 */
export function advance(given: LeasedBucket | null, rule: RateRule, now: number): LeasedBucket {
  const { limit } = rule;
  if (!given) return { tokens: limit, at: now, limit, leases: {} };
  // a new limit: every isolate drops its lease when it sees the new rule (leased-limiter.ts), so
  // the leases lapse here too, and the tokens are capped by the new limit
  const bucket =
    given.limit === limit
      ? given
      : { ...given, tokens: Math.min(given.tokens, limit), limit, leases: {} };
  const rate = rateOf(rule);
  const leases = { ...bucket.leases };
  let { tokens, at } = bucket;
  let outstanding = Object.values(leases).reduce((s, l) => s + l.n, 0);
  const step = (to: number) => {
    if (to > at) tokens = Math.min(rule.limit - outstanding, tokens + (to - at) * rate);
    at = Math.max(at, to);
  };
  const ended = Object.entries(leases)
    .filter(([, l]) => l.until <= now)
    .sort((a, b) => a[1].until - b[1].until);
  for (const [holder, lease] of ended) {
    step(lease.until);
    outstanding -= lease.n;
    delete leases[holder];
  }
  step(now);
  // a lowered limit, or leases taken past it: never more than the cap, never below nothing
  tokens = Math.max(0, Math.min(tokens, rule.limit - outstanding));
  return { tokens, at, limit, leases };
}

/**
 * One holder's call: its lease becomes what it still holds (never more than it was given), `cost`
 * is taken, and the lease is topped up toward `want` with at most half of what is left, so
 * holders that come later still find tokens.
 */
export function lease(
  bucket: LeasedBucket | null,
  rule: RateRule,
  ask: LeaseAsk,
  now: number,
): { bucket: LeasedBucket; answer: LeaseAnswer } {
  const b = advance(bucket, rule, now);
  const kept = Math.max(0, Math.min(ask.held, b.leases[ask.holder]?.n ?? 0));
  const ok = b.tokens >= ask.cost;
  let tokens = ok ? b.tokens - ask.cost : b.tokens;
  const granted = ok ? Math.max(0, Math.min(ask.want - kept, Math.floor(tokens / 2))) : 0;
  tokens -= granted;
  const leases = { ...b.leases };
  const n = kept + granted;
  const until = now + LEASE_MS;
  if (n > 0) leases[ask.holder] = { n, until };
  else delete leases[ask.holder];
  const refillMs = tokens >= 1 ? 0 : Math.ceil((1 - tokens) / rateOf(rule));
  return {
    bucket: { tokens, at: now, limit: rule.limit, leases },
    answer: { ok, kept, granted, until, tokens, refillMs },
  };
}

/** When the object may forget the bucket: full again and no lease outstanding. */
export function forgettableAt(bucket: LeasedBucket, rule: RateRule): number {
  const last = Math.max(bucket.at, ...Object.values(bucket.leases).map((l) => l.until));
  const missing = rule.limit - bucket.tokens;
  // after the last lease ends, the missing tokens come back at the rule's rate
  return last + Math.ceil(missing / rateOf(rule));
}
