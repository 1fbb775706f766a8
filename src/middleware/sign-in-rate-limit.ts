import { getConfig } from "../env.ts";
import { addressKey } from "../lib/rate-limit.ts";
import { rateLimit } from "./rate-limit.ts";

/**
 * Signing in to the console (an API key, or a sign-in link) needs no credential yet, so it is
 * limited per client address: `SIGN_INS_PER_IP_PER_MINUTE` (a burst of that many, then one every
 * minute/limit), against guessing keys and links.
 */
export const signInRateLimit = rateLimit((c) => {
  const limit = getConfig(c.env).SIGN_INS_PER_IP_PER_MINUTE;
  return {
    rule: { name: "sign-in", limit, windowSeconds: 60 },
    key: addressKey(c.req.header("cf-connecting-ip")),
    refusal: (retryAfter) =>
      `too many sign-in attempts from this address: ${limit} a minute are allowed ` +
      `(SIGN_INS_PER_IP_PER_MINUTE); retry in ${retryAfter} s`,
  };
});
