import { PLATFORM_POOL } from "@ambit/protocol";
import { jwtVerify, SignJWT } from "jose";

const AUDIENCE = "ambit:host";
/** Long enough for a container to boot, take its run and reconnect during it (runs last at most a day). */
export const HOST_TOKEN_TTL_S = 24 * 3600;

/**
 * What a platform host credential allows: connect one host of capacity 1 to the team's platform
 * pool, for one run (`runId` is the run its container was started for; it names the connection).
 */
export type HostTokenClaims = { teamId: string; pool: typeof PLATFORM_POOL; runId: string };

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** A short-lived credential (HS256) for a runner container the platform started itself. */
export async function signHostToken(secret: string, claims: { teamId: string; runId: string }, ttlSeconds = HOST_TOKEN_TTL_S) {
  return new SignJWT({ team: claims.teamId, pool: PLATFORM_POOL, run: claims.runId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(`container:${claims.runId}`)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(keyOf(secret));
}

/** The credential's claims, or null when it is malformed, forged, expired or not a host credential. */
export async function verifyHostToken(secret: string, token: string): Promise<HostTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { audience: AUDIENCE, algorithms: ["HS256"] });
    const { team, pool, run } = payload as Record<string, unknown>;
    if (typeof team !== "string" || typeof run !== "string" || pool !== PLATFORM_POOL) return null;
    return { teamId: team, pool, runId: run };
  } catch {
    return null;
  }
}
