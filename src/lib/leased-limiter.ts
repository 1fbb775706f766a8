import { rateLimiter } from "../../durable-objects/stubs.ts";
import { log } from "./log.ts";
import { LEASE_MS, type LeaseAnswer } from "./rate-leases.ts";
import type { RateDecision, RateRule } from "./rate-limit.ts";

/**
 * The in-isolate side of leased token buckets (lib/rate-leases.ts has the bound): most requests
 * spend a token this isolate already holds and make no Durable Object call. A lease is renewed in
 * the background (`waitUntil`) when it runs low or old; a request waits for the object only when
 * its isolate holds nothing. A refusal is remembered until the object can have a token again
 * (tokens only come back with time), so a client hammering past its limit costs no call either.
 */

/** Tokens an isolate asks to hold: a twentieth of the limit, at least one. */
const leaseSize = (rule: RateRule) => Math.max(1, Math.ceil(rule.limit / 20));
/** Renew in the background once the lease is down to half, or this close to its end (ms). */
const RENEW_BEFORE_END_MS = 30_000;
/** Taken off a lease's end on this side, so a clock a little ahead of the object's never spends a token it has taken back. */
const CLOCK_MARGIN_MS = 2_000;
/** Buckets this isolate keeps; the oldest is dropped past it (its tokens lapse with its lease). */
const MAX_ENTRIES = 2_000;

/** This isolate's name to the objects: its leases are its own (random values only in a request). */
let holder: string | undefined;
const holderId = () => (holder ??= crypto.randomUUID());

type Entry = {
  rule: RateRule;
  tokens: number;
  until: number;
  /** the object's own tokens at its last answer, for `RateLimit`'s remaining */
  objectTokens: number;
  /** no token until then (ms): the object said so, and nobody gives tokens back early */
  emptyUntil: number;
  pending?: Promise<LeaseAnswer>;
  /** tokens spent while `pending` was on its way (the object counts them as still held) */
  spentSince: number;
};

const entries = new Map<string, Entry>();

const sameRule = (a: RateRule, b: RateRule) =>
  a.name === b.name && a.limit === b.limit && a.windowSeconds === b.windowSeconds;

function entryOf(rule: RateRule, key: string): Entry {
  const id = `${rule.name}:${key}`;
  const known = entries.get(id);
  // a changed rule (a team's new limit) starts over: what was held lapses on the object's side
  if (known && sameRule(known.rule, rule)) return known;
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  const fresh: Entry = { rule, tokens: 0, until: 0, objectTokens: 0, emptyUntil: 0, spentSince: 0 };
  entries.set(id, fresh);
  return fresh;
}

/** One call to the object: the lease renewed (and `cost` taken), applied to the entry. */
function renew(env: Env, e: Entry, key: string, cost: 0 | 1): Promise<LeaseAnswer> {
  const sentAt = Date.now();
  const held = sentAt < e.until ? e.tokens : 0;
  e.spentSince = 0;
  const call = rateLimiter(env, e.rule.name, key)
    .lease(e.rule, { holder: holderId(), held, want: leaseSize(e.rule), cost })
    .then((a) => {
      e.tokens = Math.max(0, a.kept - e.spentSince) + a.granted;
      e.until = Math.min(sentAt + LEASE_MS, a.until) - CLOCK_MARGIN_MS; // never after the object's end
      e.objectTokens = a.tokens;
      e.emptyUntil = a.refillMs ? sentAt + a.refillMs : 0;
      return a;
    })
    .finally(() => {
      if (e.pending === call) e.pending = undefined;
    });
  e.pending = call;
  return call;
}

function secondsFor(rule: RateRule, tokens: number) {
  return Math.ceil((tokens * rule.windowSeconds) / rule.limit);
}

function admitted(e: Entry): RateDecision {
  const remaining = Math.floor(e.objectTokens + e.tokens);
  return { ok: true, remaining, resetSeconds: secondsFor(e.rule, e.rule.limit - remaining) };
}

function refused(e: Entry, now: number): RateDecision {
  return {
    ok: false,
    code: "rate_limited",
    retryAfterSeconds: Math.max(1, Math.ceil((e.emptyUntil - now) / 1000)),
    resetSeconds: secondsFor(e.rule, e.rule.limit - Math.floor(e.objectTokens)),
  };
}

/**
 * Takes a token of `rule` for `key` (e.g. an API key's id): from this isolate's lease when it
 * holds one, else from the `RateLimiter` object `<rule>:<key>`. `waitUntil` keeps a background
 * renewal alive past the answer. `waited`: whether this request waited for the object.
 */
export async function takeLeased(
  env: Env,
  rule: RateRule,
  key: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<{ decision: RateDecision; waited: boolean }> {
  const e = entryOf(rule, key);
  for (let waited = false; ; waited = true) {
    const now = Date.now();
    if (now >= e.until) e.tokens = 0; // the lease lapsed: the object has taken it back
    if (e.tokens >= 1) {
      e.tokens--;
      if (e.pending) e.spentSince++;
      const low = e.tokens <= leaseSize(rule) / 2 || e.until - now < RENEW_BEFORE_END_MS;
      if (low && !e.pending && e.emptyUntil <= now) {
        const background = renew(env, e, key, 0).catch((error) =>
          log.error("rate limit lease renewal failed", { rule: rule.name, error }),
        );
        waitUntil(background);
      }
      return { decision: admitted(e), waited };
    }
    if (e.emptyUntil > now) return { decision: refused(e, now), waited };
    if (!e.pending) break;
    await e.pending.catch(() => {}); // one call at a time per bucket: its answer may be enough
  }
  const answer = await renew(env, e, key, 1); // this request's token is taken on the object's side
  return { decision: answer.ok ? admitted(e) : refused(e, Date.now()), waited: true };
}
