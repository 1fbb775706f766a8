import { isHeld, type Role } from "@ambit/protocol";
import { createDb } from "../../db/client.ts";
import type { AttachClaims } from "../../lib/attach-token.ts";
import { AppError } from "../../lib/errors.ts";
import { keyGrantNow, keyRoleNow } from "../../lib/key-role.ts";
import { roleAtLeast } from "../context.ts";
import { runSession } from "../../../durable-objects/stubs.ts";

/**
 * A valid signature only says a token was issued. These check it against what it grants now,
 * at every use (attach, events, artifact upload), so it dies with what it was issued for.
 */

/** The holder of a LOCAL run: its creator's CLI, `local:<user id>` (see local-run.ts). */
const LOCAL_HOLDER = /^local:(.+)$/;

/**
 * A HOST token (a run's holder: a host of a pool, or the CLI of a LOCAL run) grants its one
 * execution of the run while that execution is held (PENDING to BLOCKED): not once it ended, was
 * handed back or a newer execution began. A LOCAL run's token also needs its user still a member
 * (or more) of the team, and the key that claimed the run unrevoked; a pool host's, the key the
 * host connected with still valid and admin (a runner container's has no key: its credential was
 * bound to the run).
 */
export async function recheckHostToken(
  env: Env,
  claims: AttachClaims,
  o: { keyStandingTtlMs?: number } = {},
): Promise<void> {
  const dead = (why: string) =>
    new AppError(
      "authentication_required",
      `this HOST token of run ${claims.runId} no longer grants anything: ${why}. The run's current holder got its own with its assignment`,
    );
  if (claims.executionId === undefined)
    throw dead("it names no execution of the run (issued before tokens were bound to one)");
  const local = LOCAL_HOLDER.exec(claims.principal.id);
  // the key behind the token is read while the run answers (one round trip, not two in a row: the
  // model gateway does this at every call); both must pass, the run's answer is judged first
  const role = claims.keyId
    ? recentKeyRole(
        env,
        {
          teamId: claims.teamId,
          keyId: claims.keyId,
          ...(local ? { principalId: local[1] } : {}),
        },
        o.keyStandingTtlMs ?? 0,
      )
    : Promise.resolve(null);
  role.catch(() => {}); // awaited below unless the run refuses first
  const status = await runSession(env, claims.runId).status({
    runId: claims.runId,
    teamId: claims.teamId,
  });
  if (!status.ok) throw dead("the run was not found");
  if (status.execution_id !== claims.executionId)
    throw dead(
      `it was for execution ${claims.executionId}, and execution ${status.execution_id} began since`,
    );
  if (!isHeld(status.state))
    throw dead(`execution ${claims.executionId} is ${status.state}, held by no one`);
  if (local) {
    const r = await role;
    if (!r || !roleAtLeast(r, "member"))
      throw dead(
        "the user whose CLI runs this LOCAL run is no longer a member of the team, or the key that claimed it was revoked",
      );
  } else if (claims.keyId) {
    // a host that connected with an API key holds the run while that key admits it to the pool
    const r = await role;
    if (!r || !roleAtLeast(r, "admin"))
      throw dead(
        "the API key its host connected with was revoked or expired, or lost the admin role",
      );
  }
}

/**
 * A key's role now, or as this isolate read it less than `ttlMs` ago. Only a standing key is
 * remembered (a refusal is read again every time), so a revoked or demoted key stops granting
 * within `ttlMs`. 0: read it now.
 */
const standings = new Map<string, { at: number; role: Role }>();
const STANDINGS_MAX = 1_000;

async function recentKeyRole(
  env: Env,
  key: { teamId: string; keyId: string; principalId?: string },
  ttlMs: number,
): Promise<Role | null> {
  const id = [key.teamId, key.keyId, key.principalId].join("|");
  const hit = ttlMs > 0 ? standings.get(id) : undefined;
  if (hit && Date.now() - hit.at < ttlMs) return hit.role;
  const at = Date.now();
  const role = await keyRoleNow(createDb(env.DB), key, at);
  if (ttlMs > 0) {
    if (standings.size >= STANDINGS_MAX) standings.clear();
    if (role) standings.set(id, { at, role });
    else standings.delete(id);
  }
  return role;
}

/**
 * A token minted through an API key (attach token, download link) dies with the key: revoked,
 * expired, or its user gone. Answers what the key grants now.
 */
export async function recheckMintingKey(
  env: Env,
  claims: { teamId: string; keyId: string; principal: { id: string } },
  what: string,
) {
  const grant = await keyGrantNow(createDb(env.DB), {
    teamId: claims.teamId,
    keyId: claims.keyId,
    principalId: claims.principal.id,
  });
  if (!grant)
    throw new AppError(
      "authentication_required",
      `the API key this ${what} was minted with was revoked or expired, or its user left the team; mint a new one with a valid key`,
    );
  return grant;
}
