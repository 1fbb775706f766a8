import { decodeJwt } from "jose";
import { getConfig } from "../../env.ts";
import { type AttachClaims, GATEWAY_AUDIENCE, verifyAttachToken } from "../../lib/attach-token.ts";
import { AppError } from "../../lib/errors.ts";
import { recentMap } from "../../lib/recent-map.ts";

/**
 * The run credential a model call carries, in whichever form its client sends an API key:
 * Anthropic's `x-api-key`, OpenAI's `Authorization: Bearer`, Gemini's `x-goog-api-key` or `?key=`.
 */
export function credentialOf(req: Request): string | undefined {
  const h = req.headers;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h.get("authorization") ?? "")?.[1];
  return (
    h.get("x-api-key") ??
    bearer ??
    h.get("x-goog-api-key") ??
    new URL(req.url).searchParams.get("key") ??
    undefined
  )?.trim();
}

/**
 * The claims of a run's gateway credential, verified (signature, expiry, audience). Not yet a
 * grant: `recheckHostToken` checks them against the run at every call, like the run's HOST token
 * (an ended, handed-back or superseded execution, or a revoked key behind it, is refused).
 */
export async function verifyModelCall(env: Env, req: Request): Promise<AttachClaims> {
  const token = credentialOf(req);
  if (!token)
    throw new AppError(
      "authentication_required",
      "this model gateway call carries no credential: send the run's gateway credential (AMBIT_GATEWAY_TOKEN of the run) as the API key",
    );
  const claims = await verifiedClaims(getConfig(env).JWT_SECRET, token);
  if (claims?.access !== "HOST")
    throw new AppError(
      "authentication_required",
      "this model gateway credential is not valid (forged, expired, or not a run's gateway credential); the gateway takes only the credential a run is given with its assignment",
    );
  return claims;
}

/**
 * A credential's signature checked once per isolate: a run's calls carry the same token many times
 * over, and what its signature says never changes. Only that is cached; its expiry is checked at
 * every use, and whether it still grants anything (`recheckHostToken`) is asked at every call.
 */
const verified = recentMap<{ secret: string; exp: number; claims: AttachClaims }>({
  // a run's calls come minutes apart at most while it works; an idle run's token is checked again
  ttlMs: 10 * 60_000,
  max: 1_000,
});

async function verifiedClaims(secret: string, token: string): Promise<AttachClaims | null> {
  const hit = verified.get(token);
  if (hit && hit.secret === secret && Date.now() < hit.exp * 1000) return hit.claims;
  const claims = await verifyAttachToken(secret, token, GATEWAY_AUDIENCE);
  const exp = claims && decodeJwt(token).exp;
  if (!claims || typeof exp !== "number") return claims;
  verified.set(token, { secret, exp, claims });
  return claims;
}
