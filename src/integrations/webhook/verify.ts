import type { Verified } from "../kind.ts";

/** How far a `webhook-timestamp` may be from now, either way (the reference libraries' 5 minutes). */
export const TOLERANCE_SECONDS = 300;

const enc = new TextEncoder();
const b64ToBytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** The HMAC key of a `whsec_` secret: the base64-decoded bytes after the prefix (not the text). */
async function hmacKey(secret: string) {
  const raw = b64ToBytes(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

/**
 * Standard Webhooks 1.0 receiver check: the three headers, a timestamp within 300 s of `now`, and
 * one `v1,` entry of `webhook-signature` matching an HMAC-SHA256 over `id.timestamp.body` with one
 * of `secrets` (several while rotating). `crypto.subtle.verify` compares in constant time; entries
 * of other versions (`v1a`, `v2`) are skipped.
 */
export async function verifyStandardWebhook(input: {
  headers: Headers;
  body: Uint8Array;
  secrets: string[];
  now: number;
}): Promise<Verified> {
  const reject = (reason: string): Verified => ({ ok: false, status: 401, reason });
  const id = input.headers.get("webhook-id");
  const ts = input.headers.get("webhook-timestamp");
  const list = input.headers.get("webhook-signature");
  if (!id || !ts || !list)
    return reject("missing webhook-id, webhook-timestamp or webhook-signature");
  if (!/^\d{1,12}$/.test(ts)) return reject("webhook-timestamp is not integer seconds");
  if (Math.abs(Math.floor(input.now / 1000) - Number(ts)) > TOLERANCE_SECONDS)
    return reject("webhook-timestamp is more than 5 minutes from now");
  const prefix = enc.encode(`${id}.${ts}.`);
  const signed = new Uint8Array(prefix.length + input.body.length);
  signed.set(prefix);
  signed.set(input.body, prefix.length);
  for (const secret of input.secrets) {
    let key: CryptoKey;
    try {
      key = await hmacKey(secret);
    } catch {
      continue; // a secret that is not base64 matches nothing
    }
    for (const entry of list.split(" ")) {
      const [version, b64] = entry.split(",", 2);
      if (version !== "v1" || !b64) continue;
      let sig: Uint8Array;
      try {
        sig = b64ToBytes(b64);
      } catch {
        continue;
      }
      if (sig.length === 32 && (await crypto.subtle.verify("HMAC", key, sig, signed)))
        return { ok: true, deliveryId: id, event: "webhook" };
    }
  }
  return reject("no webhook-signature entry matches");
}
