import { describe, expect, it } from "vitest";
import {
  EnvelopeError,
  keyId,
  newDataKey,
  openDataKey,
  openValue,
  rewrapDataKey,
  sealValue,
} from "../../src/lib/envelope.ts";

const OLD = "old-platform-key-0123456789abcdefghijklmnop";
const NEW = "new-platform-key-0123456789abcdefghijklmnop";
const binding = { teamId: "team-a", scope: "team" as const, ownerId: "", name: "GITHUB_TOKEN" };

async function sealed(value = "s3cret-value") {
  const stored = await newDataKey({ current: OLD }, "team-a");
  const { key } = await openDataKey({ current: OLD }, "team-a", stored);
  return { stored, key, ct: await sealValue(key, binding, value) };
}

/** Flips one bit of the ciphertext part (after the IV). */
function tamper(ct: string) {
  const [iv, body] = ct.split(".");
  const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  bytes[0] ^= 1;
  return `${iv}.${btoa(String.fromCharCode(...bytes))}`;
}

describe("envelope encryption", () => {
  it("round-trips a value, and every ciphertext differs (random IVs)", async () => {
    const { key, ct } = await sealed();
    expect(await openValue(key, binding, ct)).toBe("s3cret-value");
    expect(await sealValue(key, binding, "s3cret-value")).not.toBe(ct);
    expect(ct).not.toContain("s3cret");
  });

  it("rejects tampered ciphertext", async () => {
    const { key, ct } = await sealed();
    await expect(openValue(key, binding, tamper(ct))).rejects.toBeInstanceOf(EnvelopeError);
    await expect(openValue(key, binding, "garbage")).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("binds a value to its team, scope, owner and name", async () => {
    const { key, ct } = await sealed();
    for (const other of [
      { ...binding, teamId: "team-b" },
      { ...binding, scope: "personal" as const },
      { ...binding, ownerId: "user-1" },
      { ...binding, name: "OTHER" },
    ]) {
      await expect(openValue(key, other, ct)).rejects.toBeInstanceOf(EnvelopeError);
    }
  });

  it("a team's wrapped data key does not open for another team, nor under another platform key", async () => {
    const { stored } = await sealed();
    await expect(openDataKey({ current: OLD }, "team-b", stored)).rejects.toBeInstanceOf(
      EnvelopeError,
    );
    await expect(openDataKey({ current: NEW }, "team-a", stored)).rejects.toThrow(
      /neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS/,
    );
    await expect(
      openDataKey({ current: OLD }, "team-a", { ...stored, wrappedKey: tamper(stored.wrappedKey) }),
    ).rejects.toBeInstanceOf(EnvelopeError);
  });

  it("rotation: the previous key still opens; a rewrapped key opens with the new key alone", async () => {
    const { stored, ct } = await sealed();
    const rotated = { current: NEW, previous: OLD };
    const viaPrevious = await openDataKey(rotated, "team-a", stored);
    expect(viaPrevious.stale).toBe(true);
    expect(await openValue(viaPrevious.key, binding, ct)).toBe("s3cret-value");

    const rewrapped = await rewrapDataKey(rotated, "team-a", stored);
    expect(rewrapped.kid).toBe(await keyId(NEW));
    expect(rewrapped.kid).not.toBe(stored.kid);
    const viaNew = await openDataKey({ current: NEW }, "team-a", rewrapped);
    expect(viaNew.stale).toBe(false);
    expect(await openValue(viaNew.key, binding, ct)).toBe("s3cret-value");
  });
});
