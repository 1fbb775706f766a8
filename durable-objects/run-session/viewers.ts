import type { AccessLevel } from "@ambit/protocol";
import type { Config } from "../../src/env.ts";

// How many live viewers one run's session serves (finding 7): every websocket and SSE stream but
// the host's counts against RUN_VIEWERS_MAX, and a public link's from one address against
// PUBLIC_VIEWERS_PER_IP_MAX. Past either the attach is answered 429 with Retry-After: viewers
// leave at times nobody knows, so the wait is a guess, long enough not to invite hammering.

export const VIEWERS_RETRY_AFTER_S = 30;

export type ViewerCount = { all: number; fromIp: number };

/** The 429 a new viewer gets when the run is full, or null when there is room. */
export function viewerRefusal(
  config: Pick<Config, "RUN_VIEWERS_MAX" | "PUBLIC_VIEWERS_PER_IP_MAX">,
  access: AccessLevel,
  ip: string | undefined,
  count: ViewerCount,
): Response | null {
  if (access === "HOST") return null;
  const full =
    count.all >= config.RUN_VIEWERS_MAX
      ? {
          limit: "RUN_VIEWERS_MAX",
          max: config.RUN_VIEWERS_MAX,
          message: `this run already has ${config.RUN_VIEWERS_MAX} viewers attached (RUN_VIEWERS_MAX, websockets and event streams of every kind); try again when some have left`,
        }
      : ip !== undefined && count.fromIp >= config.PUBLIC_VIEWERS_PER_IP_MAX
        ? {
            limit: "PUBLIC_VIEWERS_PER_IP_MAX",
            max: config.PUBLIC_VIEWERS_PER_IP_MAX,
            message: `this address already watches this run's public link ${config.PUBLIC_VIEWERS_PER_IP_MAX} times (PUBLIC_VIEWERS_PER_IP_MAX per address); close a tab or stream first`,
          }
        : null;
  return (
    full &&
    Response.json(full, { status: 429, headers: { "retry-after": String(VIEWERS_RETRY_AFTER_S) } })
  );
}
