// HMAC-SHA256 checks the kinds' signature verifiers share: constant time, inside WebCrypto.

const enc = new TextEncoder();

/** Lower- or upper-case hex to bytes; null when it is not hex. */
export const hexToBytes = (hex: string) =>
  /^(?:[0-9a-f]{2})+$/i.test(hex)
    ? Uint8Array.from(hex.match(/../g) ?? [], (x) => Number.parseInt(x, 16))
    : null;

/** Whether `sig` is the HMAC-SHA256 of `data` under `secret` (`crypto.subtle.verify`, never `===`). */
export async function hmacMatches(secret: string, sig: Uint8Array, data: Uint8Array) {
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // copies into fresh ArrayBuffers: WebCrypto's BufferSource refuses a view of a SharedArrayBuffer
  return crypto.subtle.verify("HMAC", key, new Uint8Array(sig), new Uint8Array(data));
}
