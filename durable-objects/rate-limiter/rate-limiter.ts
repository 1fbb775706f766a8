import { DurableObject } from "cloudflare:workers";
import {
  type Bucket,
  fullAt,
  type RateDecision,
  type RateRule,
  takeToken,
} from "../../src/lib/rate-limit.ts";
import {
  forgettableAt,
  type LeaseAnswer,
  type LeaseAsk,
  type LeasedBucket,
  lease,
} from "../../src/lib/rate-leases.ts";

const BUCKET = "bucket";
const LEASED = "leased";

/**
 * One token bucket, named `<rule>:<key>` (e.g. `signup:203.0.113.7`): one object per limited
 * client, so buckets never contend with each other. The rule comes with each call (the caller's
 * configuration); the state is one key of SQLite-backed storage, deleted by the alarm once the
 * bucket is full again (a full bucket and none are the same). `take` serves callers that ask per
 * request (per-address limits); `lease`, isolates that hold a few tokens each
 * (src/lib/leased-limiter.ts; the bound is in src/lib/rate-leases.ts).
 */
export class RateLimiter extends DurableObject<Env> {
  /** Takes `cost` tokens; `{ok: false, code: "rate_limited", retryAfterSeconds}` when there are not enough. */
  async take(rule: RateRule, cost = 1): Promise<RateDecision> {
    const now = Date.now();
    const { bucket, decision } = takeToken(
      this.ctx.storage.kv.get<Bucket>(BUCKET) ?? null,
      rule,
      now,
      cost,
    );
    this.ctx.storage.kv.put(BUCKET, bucket);
    await this.ctx.storage.setAlarm(fullAt(bucket, rule));
    return decision;
  }

  /** Renews `ask.holder`'s lease of tokens (and takes `ask.cost` for the request that asks). */
  async lease(rule: RateRule, ask: LeaseAsk): Promise<LeaseAnswer> {
    const { bucket, answer } = lease(
      this.ctx.storage.kv.get<LeasedBucket>(LEASED) ?? null,
      rule,
      ask,
      Date.now(),
    );
    this.ctx.storage.kv.put(LEASED, bucket);
    await this.ctx.storage.setAlarm(forgettableAt(bucket, rule));
    return answer;
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}
