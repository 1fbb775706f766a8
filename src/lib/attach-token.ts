import type { AccessLevel, EventActor } from "@ambit/protocol";
import { jwtVerify, SignJWT } from "jose";
import { jwtKey } from "./jwt-key.ts";

const AUDIENCE = "ambit:session";
/**
 * The audience of a run's gateway credential: a HOST token's claims (the same execution, the same
 * checks, src/services/runs/token-checks.ts) that calls the model gateway and nothing else, so the
 * agent's sandbox, which holds it as its model key, cannot speak for the run's host.
 */
export const GATEWAY_AUDIENCE = "ambit:gateway";
export const ATTACH_TOKEN_TTL_S = 600;
/**
 * What a run's HOST token lives beyond the team's maximum run time: the wait before the run
 * starts and its environment setup, which come before the run's clock starts, and the grace of a stop.
 */
export const RUN_TOKEN_MARGIN_S = 30 * 60;

export type AttachClaims = {
  teamId: string;
  runId: string;
  principal: EventActor;
  access: AccessLevel;
  /** HOST tokens: the execution of the run it was given for; it dies with it */
  executionId?: number;
  /** the API key it was minted through (or that claimed a LOCAL run); it dies with it */
  keyId?: string;
  /**
   * gateway credentials: whose personal secrets the execution was given (decided at assignment,
   * src/lib/personal-secrets.ts), so the gateway opens the provider key the host would have had
   */
  personalOf?: string;
};

/** A short-lived token (HS256) that lets its bearer attach to one run at one access level. */
export async function signAttachToken(
  secret: string,
  claims: AttachClaims,
  ttlSeconds = ATTACH_TOKEN_TTL_S,
  audience = AUDIENCE,
) {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await new SignJWT({
    team: claims.teamId,
    run: claims.runId,
    ptype: claims.principal.type,
    access: claims.access,
    ...(claims.executionId !== undefined ? { exec: claims.executionId } : {}),
    ...(claims.keyId ? { key: claims.keyId } : {}),
    ...(claims.personalOf ? { po: claims.personalOf } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.principal.id)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(await jwtKey(secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * The token's claims, or null when it is malformed, forged, expired or for something else. Valid
 * claims are not yet a grant: the caller checks them against what they grant now (see
 * services/runs/token-checks.ts).
 */
export async function verifyAttachToken(
  secret: string,
  token: string,
  audience = AUDIENCE,
): Promise<AttachClaims | null> {
  try {
    const { payload } = await jwtVerify(token, await jwtKey(secret), {
      audience,
      algorithms: ["HS256"],
    });
    const { team, run, ptype, access, sub, exec, key, po } = payload as Record<string, unknown>;
    if (typeof team !== "string" || typeof run !== "string" || typeof sub !== "string") return null;
    if (access !== "VIEWER" && access !== "EDITOR" && access !== "HOST") return null;
    if (ptype !== "user" && ptype !== "service_account" && ptype !== "host" && ptype !== "system")
      return null;
    if (
      (exec !== undefined && !Number.isInteger(exec)) ||
      (key !== undefined && typeof key !== "string") ||
      (po !== undefined && typeof po !== "string")
    )
      return null;
    return {
      teamId: team,
      runId: run,
      principal: { type: ptype, id: sub },
      access,
      ...(exec !== undefined ? { executionId: exec as number } : {}),
      ...(key !== undefined ? { keyId: key as string } : {}),
      ...(po !== undefined ? { personalOf: po as string } : {}),
    };
  } catch {
    return null;
  }
}
