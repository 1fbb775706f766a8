/** HS256 keys by their secret, imported once per isolate (bounded: the platform has a few secrets). */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 16;

/**
 * The HS256 key of `secret` for signing and verifying the platform's tokens (attach, HOST,
 * artifact, an integration's install state): imported once, where jose, given the secret's
 * bytes, imports it again for every token it signs or checks (a run's assignment signs one).
 */
export function jwtKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
    key.catch(() => keys.delete(secret)); // not kept: the next call tries again
  }
  return key;
}
