/**
 * Envelope encryption of secrets with WebCrypto AES-GCM (256-bit keys, 96-bit random IVs).
 *
 * - The platform key is the `SECRETS_KEY` Worker secret; `kid` is a short fingerprint of it.
 * - Each team has a random data key, stored wrapped (AES-GCM) by the platform key, with the team id
 *   as associated data, so a wrapped key copied to another team does not open.
 * - Each secret value is sealed under its team's data key with associated data naming team, scope,
 *   owner and name, so a ciphertext moved to another row (or renamed) does not open.
 * - Rotation: deploy the new key as `SECRETS_KEY` and the old one as `SECRETS_KEY_PREVIOUS`. Data
 *   keys wrapped by the previous key still open; `rewrapDataKey` wraps them again under the current
 *   key (lazily on a team's next use, by the every-minute cron, or at once with
 *   `POST /agent/secrets/rotate`; see src/lib/team-data-key.ts).
 *   Secret values are never re-entered: only the small wrapped data key changes.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();
const toB64 = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
};
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

export type PlatformKeys = { current: string; previous?: string };

/** Thrown when a ciphertext or wrapped key does not open: tampered, moved, or sealed by an unknown key. */
export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvelopeError";
  }
}

async function platformKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest("SHA-256", enc.encode(`ambit-kek:v1:${secret}`));
  return crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** A short, non-reversible fingerprint naming which platform key wrapped a data key. */
export async function keyId(secret: string): Promise<string> {
  const h = new Uint8Array(
    await crypto.subtle.digest("SHA-256", enc.encode(`ambit-kid:v1:${secret}`)),
  );
  return [...h.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function gcmSeal(key: CryptoKey, plaintext: Uint8Array, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: enc.encode(aad) },
      key,
      plaintext,
    ),
  );
  return `${toB64(iv)}.${toB64(ct)}`;
}

async function gcmOpen(key: CryptoKey, sealed: string, aad: string): Promise<Uint8Array> {
  const [iv, ct] = sealed.split(".");
  if (!iv || !ct) throw new EnvelopeError("malformed ciphertext");
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromB64(iv), additionalData: enc.encode(aad) },
        key,
        fromB64(ct),
      ),
    );
  } catch {
    throw new EnvelopeError(
      "ciphertext does not open: it was altered, moved, or sealed under another key",
    );
  }
}

const dekAad = (teamId: string) => `ambit-dek:v1:${teamId}`;

/** A fresh data key for `teamId`, wrapped by the current platform key. */
export async function newDataKey(
  keys: PlatformKeys,
  teamId: string,
): Promise<{ wrappedKey: string; kid: string }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  return {
    wrappedKey: await gcmSeal(await platformKey(keys.current), raw, dekAad(teamId)),
    kid: await keyId(keys.current),
  };
}

/** Opens a team's data key with whichever platform key wrapped it (current or previous). */
export async function openDataKey(
  keys: PlatformKeys,
  teamId: string,
  stored: { wrappedKey: string; kid: string },
): Promise<{ key: CryptoKey; stale: boolean }> {
  const candidates = [keys.current, ...(keys.previous ? [keys.previous] : [])];
  for (const [i, secret] of candidates.entries()) {
    if ((await keyId(secret)) !== stored.kid) continue;
    const raw = await gcmOpen(await platformKey(secret), stored.wrappedKey, dekAad(teamId));
    return {
      key: await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]),
      stale: i > 0,
    };
  }
  throw new EnvelopeError(
    `the team's data key was wrapped by platform key ${stored.kid}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`,
  );
}

/** The same data key, wrapped again by the current platform key. */
export async function rewrapDataKey(
  keys: PlatformKeys,
  teamId: string,
  stored: { wrappedKey: string; kid: string },
) {
  const candidates = [keys.current, ...(keys.previous ? [keys.previous] : [])];
  for (const secret of candidates) {
    if ((await keyId(secret)) !== stored.kid) continue;
    const raw = await gcmOpen(await platformKey(secret), stored.wrappedKey, dekAad(teamId));
    return {
      wrappedKey: await gcmSeal(await platformKey(keys.current), raw, dekAad(teamId)),
      kid: await keyId(keys.current),
    };
  }
  throw new EnvelopeError(
    `the team's data key was wrapped by platform key ${stored.kid}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`,
  );
}

/** What a secret value is bound to: it opens only under the same team, scope, owner and name. */
export type SecretBinding = {
  teamId: string;
  scope: "team" | "personal";
  ownerId: string;
  name: string;
};
const valueAad = (b: SecretBinding) =>
  `ambit-secret:v1:${JSON.stringify([b.teamId, b.scope, b.ownerId, b.name])}`;

export const sealValue = (dataKey: CryptoKey, binding: SecretBinding, value: string) =>
  gcmSeal(dataKey, enc.encode(value), valueAad(binding));
export const openValue = async (dataKey: CryptoKey, binding: SecretBinding, sealed: string) =>
  dec.decode(await gcmOpen(dataKey, sealed, valueAad(binding)));
