const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random identifier of `length` base62 characters (22 ≈ 131 bits, like Warp Drive object uids). */
export function newUid(length = 22): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  // 248 = 4 × 62: rejection sampling keeps every character equally likely
  for (let i = 0; out.length < length; i++) {
    if (i >= bytes.length) {
      crypto.getRandomValues(bytes);
      i = 0;
    }
    if (bytes[i] < 248) out += BASE62[bytes[i] % 62];
  }
  return out;
}

/**
 * RFC 9562 UUID version 7: time-ordered, so run ids sort by creation. `bits`: 16 bytes to take
 * the random part from (a hash, for an id that must come out the same twice).
 */
export function uuidv7(now = Date.now(), bits?: Uint8Array): string {
  const b = bits ? bits.slice(0, 16) : crypto.getRandomValues(new Uint8Array(16));
  const ts = BigInt(now);
  for (let i = 0; i < 6; i++) b[i] = Number((ts >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
