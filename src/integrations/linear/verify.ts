import { hexToBytes, hmacMatches } from "../hmac.ts";
import type { Verified } from "../kind.ts";

/** Linear's own SDK refuses a delivery whose `webhookTimestamp` is further than this from now. */
export const FRESHNESS_MS = 60_000;

const refuse = (reason: string): Verified => ({ ok: false, status: 401, reason });

/**
 * Checks `Linear-Signature` (hex HMAC-SHA256 of the raw body under the webhook secret) in constant
 * time (`crypto.subtle.verify`), then the body's `webhookTimestamp` (ms, inside the signed bytes)
 * within 60 s of now. The `linear-timestamp` header is used only when the body has none: it is not
 * signed, so a fresh header must never excuse a stale body. The body is parsed only after the MAC.
 */
export async function verifyLinearDelivery(input: {
  headers: Headers;
  body: Uint8Array;
  secret: string;
  now: number;
}): Promise<Verified> {
  const sig = hexToBytes(input.headers.get("linear-signature") ?? "");
  if (sig?.length !== 32) return refuse("no Linear-Signature header, or not a SHA-256 hex digest");
  if (!(await hmacMatches(input.secret, sig, input.body)))
    return refuse("signature does not match the webhook secret");
  let payload: { webhookTimestamp?: unknown; type?: unknown; action?: unknown };
  try {
    payload = JSON.parse(new TextDecoder().decode(input.body));
  } catch {
    return refuse("signed body is not JSON");
  }
  const header = Number(input.headers.get("linear-timestamp"));
  const ts =
    typeof payload.webhookTimestamp === "number"
      ? payload.webhookTimestamp
      : Number.isFinite(header) && header > 0
        ? header
        : null;
  if (ts === null) return refuse("no webhookTimestamp");
  if (Math.abs(input.now - ts) > FRESHNESS_MS)
    return refuse("webhookTimestamp is more than 60 s from now (a replay, or a clock off)");
  const deliveryId = input.headers.get("linear-delivery");
  if (!deliveryId) return refuse("no Linear-Delivery header");
  // `AgentSessionEvent.created`: the delivery log tells a new session from a prompt at a glance
  const type = typeof payload.type === "string" ? payload.type : input.headers.get("linear-event");
  const action = typeof payload.action === "string" ? `.${payload.action}` : "";
  return { ok: true, deliveryId, event: `${type || "unknown"}${action}` };
}
