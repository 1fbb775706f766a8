import { jwtVerify, SignJWT } from "jose";

const AUDIENCE = "ambit:artifact";
/** How long a download link of a file artifact works. */
export const ARTIFACT_LINK_TTL_S = 600;

const keyOf = (secret: string) => new TextEncoder().encode(secret);

/** A short-lived token (HS256) for downloading one artifact: what a signed URL is to a bucket. */
export async function signArtifactToken(secret: string, claims: { teamId: string; artifactUid: string }, ttlSeconds = ARTIFACT_LINK_TTL_S) {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await new SignJWT({ team: claims.teamId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.artifactUid)
    .setAudience(AUDIENCE)
    .setExpirationTime(exp)
    .sign(keyOf(secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

/** The token's team and artifact, or null when it is malformed, forged, expired or for something else. */
export async function verifyArtifactToken(secret: string, token: string): Promise<{ teamId: string; artifactUid: string } | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { audience: AUDIENCE, algorithms: ["HS256"] });
    if (typeof payload.team !== "string" || typeof payload.sub !== "string") return null;
    return { teamId: payload.team, artifactUid: payload.sub };
  } catch {
    return null;
  }
}
