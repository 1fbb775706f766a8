import { createDb, type Db } from "../../db/client.ts";
import { getConfig } from "../../env.ts";
import { ATTACH_TOKEN_TTL_S, signAttachToken, verifyAttachToken } from "../../lib/attach-token.ts";
import { AppError } from "../../lib/errors.ts";
import type { AttachGrant } from "../../../durable-objects/run-session/sockets.ts";
import { standingOf } from "../../../durable-objects/run-session/standing.ts";
import { authenticateApiKey } from "../authenticate.ts";
import { requireScope } from "../../lib/require-scope.ts";
import type { Ctx } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { principalName } from "./principal-name.ts";
import { accessFor } from "./sharing.ts";
import { recheckHostToken, recheckMintingKey } from "./token-checks.ts";

/** Mints an attach token for the caller's own access level on this run. */
export async function mintSessionToken({ ctx, runId }: { ctx: Ctx; runId: string }) {
  const { row } = await getRunInTeam(ctx, runId);
  const access = accessFor(ctx, row);
  const { token, expiresAt } = await signAttachToken(getConfig(ctx.env).JWT_SECRET, {
    teamId: ctx.teamId,
    runId: row.id,
    principal: { type: ctx.actor.type, id: ctx.actor.id },
    access,
    ...("keyId" in ctx.actor ? { keyId: ctx.actor.keyId } : {}),
  });
  const base = `${ctx.baseUrl}/api/v1/agent/runs/${row.id}`;
  return {
    token,
    access,
    expires_at: expiresAt.toISOString(),
    session_url: `${base.replace(/^http/, "ws")}/session?token=${encodeURIComponent(token)}`,
    events_url: `${base}/events?token=${encodeURIComponent(token)}`,
  };
}

/**
 * Authenticates an attach (websocket or SSE) by API key, by `?token=` or by a web session the
 * middleware already checked (`session`), before the run's Durable Object is reached, and says
 * with what access. Another team's run is not found.
 */
export async function authorizeAttach(input: {
  env: Env;
  runId: string;
  authorization?: string;
  token?: string;
  session?: { teamId: string; actor: Extract<Ctx["actor"], { keyId: string }> };
  after: number;
  baseUrl: string;
  requestId: string;
  /** a websocket's grant: with the principal's name, for presence (streams have none) */
  named?: boolean;
}): Promise<AttachGrant> {
  const { env, runId } = input;
  if (!input.authorization && input.token) {
    const claims = await verifyAttachToken(getConfig(env).JWT_SECRET, input.token);
    if (!claims) {
      throw new AppError(
        "authentication_required",
        "the attach token is invalid or expired; mint a new one with POST /api/v1/agent/runs/{id}/session-token",
      );
    }
    if (claims.runId !== runId)
      throw new AppError("resource_not_found", `run '${runId}' was not found in this team`);
    if (claims.access === "HOST") {
      await recheckHostToken(env, claims);
      return {
        runId,
        teamId: claims.teamId,
        principal: claims.principal,
        access: "HOST",
        executionId: claims.executionId,
        after: input.after,
      };
    }
    const grant = await recheckMember(env, claims);
    if (claims.keyId)
      await recheckMintingKey(env, { ...claims, keyId: claims.keyId }, "attach token");
    const withAfter = { ...grant, after: input.after };
    return input.named ? named(createDb(env.DB), withAfter) : withAfter;
  }
  const db: Db = createDb(env.DB);
  const { teamId, actor } = input.session ?? (await authenticateApiKey(db, input.authorization));
  requireScope(actor, "runs:read", "Attaching to a run");
  const ctx: Ctx = { teamId, actor, db, env, requestId: input.requestId, baseUrl: input.baseUrl };
  const { row } = await getRunInTeam(ctx, runId);
  const grant: AttachGrant = {
    runId: row.id,
    teamId,
    principal: { type: actor.type, id: actor.id },
    access: accessFor(ctx, row),
    after: input.after,
    keyId: actor.keyId,
  };
  return input.named ? named(db, grant) : grant;
}

/** The grant with its principal's name for presence (principal-name.ts). */
async function named(db: Db, grant: AttachGrant): Promise<AttachGrant> {
  const name = await principalName(db, grant.teamId, grant.principal, grant.keyId);
  return name ? { ...grant, name } : grant;
}

/**
 * A token outlives nothing its user lost since it was minted: the key it was minted with revoked
 * or expired, or its user no longer in the team, is refused; one who can no longer see the run
 * (its sharing changed) finds it not found, and one whose access fell (a lower role, or sharing
 * to watch only) watches instead of steering. The rule is the one every steering frame is held to.
 */
async function recheckMember(
  env: Env,
  claims: Omit<AttachGrant, "after">,
): Promise<Omit<AttachGrant, "after">> {
  if (claims.principal.type !== "user" && claims.principal.type !== "service_account")
    return claims;
  const now = await standingOf(env.DB, claims);
  if (now.access === "NONE") {
    if (now.reason === "run")
      throw new AppError("resource_not_found", `run '${claims.runId}' was not found in this team`);
    throw new AppError(
      "authentication_required",
      `the attach token no longer admits: ${now.why}; mint a new one with POST /api/v1/agent/runs/{id}/session-token`,
    );
  }
  return { ...claims, access: claims.access === "EDITOR" ? now.access : claims.access };
}

export { ATTACH_TOKEN_TTL_S };
