import { DurableObject } from "cloudflare:workers";
import {
  type Bucket,
  fullAt,
  type RateDecision,
  type RateRule,
  takeToken,
} from "../../src/lib/rate-limit.ts";

const BUCKET = "bucket";

/**
 * One token bucket, named `<rule>:<key>` (e.g. `signup:203.0.113.7`): one object per limited
 * client, so buckets never contend with each other. The rule comes with each call (the caller's
 * configuration); the state is one key of SQLite-backed storage, deleted by the alarm once the
 * bucket is full again (a full bucket and none are the same).
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

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}
