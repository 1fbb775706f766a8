const enc = new TextEncoder();

/** The bytes of a hex string, or null when it is not one (odd length, other characters). */
export const hexToBytes = (hex: string) =>
  /^(?:[0-9a-f]{2})+$/i.test(hex)
    ? Uint8Array.from(hex.match(/../g) ?? [], (x) => Number.parseInt(x, 16))
    : null;

/**
 * Whether `sig` is the HMAC-SHA256 of `body` under `secret`, compared in constant time inside
 * WebCrypto (`crypto.subtle.verify`), never `===` on hex.
 */
export async function hmacSha256Matches(secret: string, sig: Uint8Array, body: Uint8Array) {
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // copies into fresh ArrayBuffers: WebCrypto's BufferSource refuses a view of a SharedArrayBuffer
  return crypto.subtle.verify("HMAC", key, new Uint8Array(sig), new Uint8Array(body));
}
