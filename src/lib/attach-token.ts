import type { AccessLevel, EventActor } from "@ambit/protocol";
import { jwtVerify, SignJWT } from "jose";

const AUDIENCE = "ambit:session";
export const ATTACH_TOKEN_TTL_S = 600;

/** `keyId`: the API key the token was minted with; the token acts no longer than that key (finding 6). */
export type AttachClaims = { teamId: string; runId: string; principal: EventActor; access: AccessLevel; keyId?: string };

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** A short-lived token (HS256) that lets its bearer attach to one run at one access level. */
export async function signAttachToken(secret: string, claims: AttachClaims, ttlSeconds = ATTACH_TOKEN_TTL_S) {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await new SignJWT({ team: claims.teamId, run: claims.runId, ptype: claims.principal.type, access: claims.access, ...(claims.keyId ? { kid: claims.keyId } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.principal.id)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(keyOf(secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

/** The token's claims, or null when it is malformed, forged, expired or for something else. */
export async function verifyAttachToken(secret: string, token: string): Promise<AttachClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { audience: AUDIENCE, algorithms: ["HS256"] });
    const { team, run, ptype, access, sub, kid } = payload as Record<string, unknown>;
    if (typeof team !== "string" || typeof run !== "string" || typeof sub !== "string") return null;
    if (access !== "VIEWER" && access !== "EDITOR" && access !== "HOST") return null;
    if (ptype !== "user" && ptype !== "service_account" && ptype !== "host" && ptype !== "system") return null;
    return { teamId: team, runId: run, principal: { type: ptype, id: sub }, access, ...(typeof kid === "string" ? { keyId: kid } : {}) };
  } catch {
    return null;
  }
}
