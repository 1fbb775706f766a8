import { PLATFORM_POOL } from "@ambit/protocol";
import { jwtVerify, SignJWT } from "jose";
import { jwtKey } from "./jwt-key.ts";

const AUDIENCE = "ambit:host";
/**
 * What a runner container's credential lives beyond the team's maximum run time: the container's
 * boot, its wait for the run, and the run's environment setup (which comes before the run's clock starts).
 */
export const CONTAINER_BOOT_MARGIN_S = 30 * 60;

/**
 * What a platform host credential allows: connect one host of capacity 1 to the team's platform
 * pool, for one execution of one run (the one its container was started for), and be given that
 * run and no other. The pool checks it against the run's current state at every connection.
 */
export type HostTokenClaims = {
  teamId: string;
  pool: typeof PLATFORM_POOL;
  runId: string;
  executionId: number;
};

/** A credential (HS256) for a runner container the platform started itself for one run's execution. */
export async function signHostToken(
  secret: string,
  claims: { teamId: string; runId: string; executionId: number },
  ttlSeconds: number,
) {
  return new SignJWT({
    team: claims.teamId,
    pool: PLATFORM_POOL,
    run: claims.runId,
    exec: claims.executionId,
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(`container:${claims.runId}`)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(await jwtKey(secret));
}

/** The credential's claims, or null when it is malformed, forged, expired or not a host credential. */
export async function verifyHostToken(
  secret: string,
  token: string,
): Promise<HostTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, await jwtKey(secret), {
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    const { team, pool, run, exec } = payload as Record<string, unknown>;
    if (
      typeof team !== "string" ||
      typeof run !== "string" ||
      pool !== PLATFORM_POOL ||
      !Number.isInteger(exec)
    )
      return null;
    return { teamId: team, pool, runId: run, executionId: exec as number };
  } catch {
    return null;
  }
}
