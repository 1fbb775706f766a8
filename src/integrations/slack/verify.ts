import { hexToBytes, hmacMatches } from "../hmac.ts";
import type { Verified } from "../kind.ts";
import type { SlackCredentials } from "./credentials.ts";
import { eventOf, parseSlackBody, senderIdOf } from "./payload.ts";

const enc = new TextEncoder();
/** Slack's replay window: a request signed more than five minutes away from now is refused. */
export const SLACK_WINDOW_SECONDS = 300;

const refuse = (reason: string): Verified => ({ ok: false, status: 401, reason });

/**
 * Checks Slack's v0 signature: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" + timestamp +
 * ":" + the raw body>` under the signing secret, compared inside WebCrypto, with the timestamp
 * within five minutes either way. Only then is the body read, for the event and Slack's id.
 */
export async function verifySlackRequest(input: {
  headers: Headers;
  body: Uint8Array;
  credentials: SlackCredentials;
  now: number;
}): Promise<Verified> {
  const ts = input.headers.get("x-slack-request-timestamp");
  const header = input.headers.get("x-slack-signature");
  if (!ts || !/^\d{1,12}$/.test(ts)) return refuse("no X-Slack-Request-Timestamp header");
  if (Math.abs(input.now / 1000 - Number(ts)) > SLACK_WINDOW_SECONDS)
    return refuse("X-Slack-Request-Timestamp is more than 5 minutes away from now");
  const sig = header?.startsWith("v0=") ? hexToBytes(header.slice(3)) : null;
  if (sig?.length !== 32) return refuse("X-Slack-Signature is not v0= and a SHA-256 hex digest");
  const signed = concat(enc.encode(`v0:${ts}:`), input.body);
  if (!(await hmacMatches(input.credentials.signing_secret, sig, signed)))
    return refuse("signature does not match the signing secret");
  let payload: ReturnType<typeof parseSlackBody>;
  try {
    payload = parseSlackBody(input.headers, input.body);
  } catch {
    payload = null;
  }
  const id = payload && senderIdOf(payload);
  // a signed body we cannot read is still Slack's: the framework answers it 400, recorded
  if (!payload || !id) return { ok: true, deliveryId: `unreadable:${ts}`, event: "unreadable" };
  return { ok: true, deliveryId: id, event: eventOf(payload) };
}

function concat(a: Uint8Array, b: Uint8Array) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
