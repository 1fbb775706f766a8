import { getConfig } from "../env.ts";
import { addressKey } from "../lib/rate-limit.ts";
import { rateLimit } from "./rate-limit.ts";

/**
 * Signup needs no key, so it is limited per client address: `SIGNUPS_PER_IP_PER_HOUR` (a burst of
 * that many, then one every hour/limit). Cloudflare sets `cf-connecting-ip`; clients cannot.
 */
export const signupRateLimit = rateLimit((c) => {
  const limit = getConfig(c.env).SIGNUPS_PER_IP_PER_HOUR;
  return {
    rule: { name: "signup", limit, windowSeconds: 3600 },
    key: addressKey(c.req.header("cf-connecting-ip")),
    refusal: (retryAfter) =>
      `too many signups from this address: ${limit} an hour are allowed (SIGNUPS_PER_IP_PER_HOUR); retry in ${retryAfter} s, ` +
      "or ask an admin of an existing team to add you",
  };
});
