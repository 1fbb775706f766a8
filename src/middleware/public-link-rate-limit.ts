import { getConfig } from "../env.ts";
import { addressKey } from "../lib/rate-limit.ts";
import { rateLimit } from "./rate-limit.ts";

/**
 * A run's public link needs no key, so every request to one (the run, a page of events, an SSE
 * stream or a websocket attach) is limited per client address: `PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE`
 * across every link. The live viewers a link holds open are capped apart (RUN_VIEWERS_MAX,
 * PUBLIC_VIEWERS_PER_IP_MAX, in the run's session).
 */
export const publicLinkRateLimit = rateLimit((c) => {
  const limit = getConfig(c.env).PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE;
  return {
    rule: { name: "public-link", limit, windowSeconds: 60 },
    key: addressKey(c.req.header("cf-connecting-ip")),
    refusal: (retryAfter) =>
      `too many requests to public links from this address: ${limit} a minute are allowed (PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE); ` +
      `retry in ${retryAfter} s, or follow the run live over one SSE stream or websocket instead of polling`,
  };
});
