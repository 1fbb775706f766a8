import { jwtVerify, SignJWT } from "jose";
import { jwtKey } from "./jwt-key.ts";

const AUDIENCE = "ambit:artifact";
/** How long a download link of a file artifact works. */
export const ARTIFACT_LINK_TTL_S = 600;

/**
 * Who a download link was minted for: the principal and the API key it asked with. The link works
 * only while that key does and that principal still sees the artifact's run.
 */
export type ArtifactTokenClaims = {
  teamId: string;
  artifactUid: string;
  principal: { type: "user" | "service_account"; id: string };
  keyId: string;
};

/** A short-lived token (HS256) for downloading one artifact: what a signed URL is to a bucket. */
export async function signArtifactToken(
  secret: string,
  claims: ArtifactTokenClaims,
  ttlSeconds = ARTIFACT_LINK_TTL_S,
) {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await new SignJWT({
    team: claims.teamId,
    ptype: claims.principal.type,
    pid: claims.principal.id,
    key: claims.keyId,
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.artifactUid)
    .setAudience(AUDIENCE)
    .setExpirationTime(exp)
    .sign(await jwtKey(secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

/** The token's claims, or null when it is malformed, forged, expired, for something else, or names no holder. */
export async function verifyArtifactToken(
  secret: string,
  token: string,
): Promise<ArtifactTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, await jwtKey(secret), {
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    const { team, sub, ptype, pid, key } = payload as Record<string, unknown>;
    if (
      typeof team !== "string" ||
      typeof sub !== "string" ||
      typeof pid !== "string" ||
      typeof key !== "string"
    )
      return null;
    if (ptype !== "user" && ptype !== "service_account") return null;
    return { teamId: team, artifactUid: sub, principal: { type: ptype, id: pid }, keyId: key };
  } catch {
    return null;
  }
}
