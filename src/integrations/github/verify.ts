import { hexToBytes, hmacMatches } from "../hmac.ts";
import type { Verified } from "../kind.ts";
import type { GitHubCredentials } from "./credentials.ts";

const SIG_PREFIX = "sha256=";

const refuse = (reason: string): Verified => ({ ok: false, status: 401, reason });

/**
 * Checks `X-Hub-Signature-256` (`sha256=` + hex HMAC-SHA256 of the raw body under the webhook
 * secret) in constant time: `crypto.subtle.verify` compares inside WebCrypto, never `===` on hex.
 * GitHub signs no timestamp; replays are stopped by the framework's dedupe on the delivery GUID.
 */
export async function verifyGitHubDelivery(input: {
  headers: Headers;
  body: Uint8Array;
  credentials: GitHubCredentials;
}): Promise<Verified> {
  const header = input.headers.get("x-hub-signature-256");
  if (!header?.startsWith(SIG_PREFIX)) return refuse("no X-Hub-Signature-256 header");
  const sig = hexToBytes(header.slice(SIG_PREFIX.length));
  if (sig?.length !== 32) return refuse("X-Hub-Signature-256 is not a SHA-256 hex digest");
  // the previous secret still opens while a rotation is under way (GitHub has one at a time)
  const secrets = [input.credentials.webhook_secret, input.credentials.previous_webhook_secret];
  let ok = false;
  for (const secret of secrets) if (secret && !ok) ok = await hmacMatches(secret, sig, input.body);
  if (!ok) return refuse("signature does not match the webhook secret");
  const deliveryId = input.headers.get("x-github-delivery");
  const event = input.headers.get("x-github-event");
  if (!deliveryId || !event) return refuse("no X-GitHub-Delivery or X-GitHub-Event header");
  return { ok: true, deliveryId, event };
}
