import { getConfig } from "../env.ts";
import { addressKey } from "../lib/rate-limit.ts";
import { rateLimit } from "./rate-limit.ts";

/**
 * An integration's inbound URL takes no key, so its requests are limited per client address
 * before the integration is looked up or any signature checked: a flood of forgeries costs the
 * platform one lease spend each (`INBOUND_DELIVERIES_PER_IP_PER_MINUTE`, across every inbound
 * URL). Senders share addresses (GitHub's hooks come from a few ranges), so the default is high.
 */
export const inboundRateLimit = rateLimit(
  (c) => {
    const limit = getConfig(c.env).INBOUND_DELIVERIES_PER_IP_PER_MINUTE;
    return {
      rule: { name: "inbound", limit, windowSeconds: 60 },
      key: addressKey(c.req.header("cf-connecting-ip")),
      refusal: (retryAfter) =>
        `too many deliveries to integrations' inbound URLs from this address: ${limit} a minute are allowed (INBOUND_DELIVERIES_PER_IP_PER_MINUTE, set by the platform's operator); retry in ${retryAfter} s`,
    };
  },
  { leased: true },
);
