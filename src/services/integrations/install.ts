import type { IntegrationInstallLink } from "@ambit/protocol";
import { getConfig } from "../../env.ts";
import {
  signInstallState,
  verifyInstallState,
  INSTALL_STATE_TTL_S,
} from "../../integrations/oauth.ts";
import { kindOf } from "../../integrations/registry.ts";
import { AppError } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/hash.ts";
import { createDb } from "../../db/client.ts";
import type { Ctx } from "../context.ts";
import { requireRole } from "../context.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyStatement,
  releaseIdempotencyKey,
  sealResponse,
} from "../idempotency.ts";
import { openCredentials } from "./credentials.ts";
import { getIntegrationRow } from "./get-integration.ts";
import { memberActor } from "./integration-actor.ts";
import { updateIntegration } from "./write-integration.ts";

export const INSTALL_CALLBACK_PATH = "/api/v1/integrations/install/callback";

/**
 * The link an admin opens to install the integration's app with OAuth (Slack, Linear): the
 * vendor's authorize page, with a `state` signed for this team, integration and admin (10
 * minutes, single use). Needs the kind's client id and secret in the credentials, and PUBLIC_URL
 * (the callback the vendor redirects to).
 */
export async function createInstallLink({
  ctx,
  id,
}: {
  ctx: Ctx;
  id: string;
}): Promise<IntegrationInstallLink> {
  requireRole(ctx, "admin", "Installing integrations");
  if (ctx.actor.type !== "user")
    throw new AppError("not_authorized", "an install is made by an admin, with their own key");
  const row = await getIntegrationRow(ctx, id);
  const oauth = kindOf(row.type)?.oauth;
  if (!oauth)
    throw new AppError(
      "operation_not_supported",
      `a '${row.type}' integration has no OAuth install`,
    );
  const client = oauth.client(await openCredentials(ctx.env, row));
  if (!client.id || !client.secret)
    throw new AppError(
      "integration_not_configured",
      "the OAuth install needs the app's client_id and client_secret in the integration's credentials (PATCH credentials), or paste the bot token instead",
    );
  const config = getConfig(ctx.env);
  if (!config.PUBLIC_URL)
    throw new AppError(
      "integration_not_configured",
      "the OAuth install needs the server's PUBLIC_URL (the vendor redirects back to it); ask the operator to set it",
    );
  const state = await signInstallState(config.JWT_SECRET, {
    teamId: ctx.teamId,
    integrationId: row.id,
    adminId: ctx.actor.id,
  });
  const url = new URL(oauth.authorizeUrl(ctx.env));
  url.searchParams.set("client_id", client.id);
  url.searchParams.set("scope", oauth.scopes.join(oauth.scopeSeparator ?? ","));
  url.searchParams.set("redirect_uri", callbackUrl(config.PUBLIC_URL));
  url.searchParams.set("state", state);
  for (const [k, v] of Object.entries(oauth.params ?? {})) url.searchParams.set(k, v);
  return {
    url: url.toString(),
    expires_at: new Date(Date.now() + INSTALL_STATE_TTL_S * 1000).toISOString(),
  };
}

const callbackUrl = (publicUrl: string) =>
  `${publicUrl.replace(/\/+$/, "")}${INSTALL_CALLBACK_PATH}`;

/**
 * The vendor's redirect back (no API key: the signed `state` is the credential). Checks the state
 * (signature, expiry, single use), that its admin still is one, exchanges the code through the
 * kind, and stores what it returns: sealed credentials, settings merged. Throws `AppError`.
 */
export async function completeInstall(
  env: Env,
  input: { code?: string; state?: string; error?: string },
  /** how the vendor is reached (tests pass a fake's) */
  options: { fetch?: typeof fetch } = {},
): Promise<{ integrationId: string }> {
  const config = getConfig(env);
  const claims = input.state ? await verifyInstallState(config.JWT_SECRET, input.state) : null;
  if (!claims)
    throw new AppError(
      "invalid_request",
      "this install link is expired or not ours; make a new one (`POST /api/v1/integrations/{uid}/install-link`)",
    );
  if (input.error || !input.code)
    throw new AppError(
      "invalid_request",
      `the install was not approved (${input.error ?? "no code"})`,
    );
  const db = createDb(env.DB);
  const claimed = await claimIdempotencyKey(db, {
    scope: `integration-install:${claims.teamId}`,
    key: `state:${claims.jti}`,
    requestHash: await sha256Hex(claims.jti),
  });
  if ("replay" in claimed)
    throw new AppError("invalid_request", "this install link was already used; make a new one");
  const claim = claimed.claim;
  try {
    const probe: Ctx = {
      teamId: claims.teamId,
      actor: { type: "system", id: "system", role: "owner" },
      db,
      env,
      requestId: `install:${claims.jti}`,
      baseUrl: "",
    };
    const row = await getIntegrationRow(probe, claims.integrationId);
    const actor = await memberActor(db, row, claims.adminId);
    const ctx: Ctx = { ...probe, actor };
    requireRole(ctx, "admin", "Installing integrations");
    const oauth = kindOf(row.type)?.oauth;
    const client = oauth?.client(await openCredentials(env, row));
    if (!oauth || !client?.id || !client.secret)
      throw new AppError(
        "integration_not_configured",
        "the integration's client credentials are gone",
      );
    const got = await oauth.exchange({
      env,
      code: input.code,
      redirectUri: callbackUrl(config.PUBLIC_URL ?? ""),
      client: { id: client.id, secret: client.secret },
      fetch: options.fetch,
    });
    await updateIntegration({
      ctx,
      id: row.id,
      input: {
        credentials: got.credentials,
        ...(got.settings
          ? { settings: { ...(row.settings as Record<string, unknown>), ...got.settings } }
          : {}),
      },
    });
    const sealed = await sealResponse(claim, { status: 200, body: JSON.stringify({ ok: true }) });
    await db.batch([completeIdempotencyStatement(db, claim, sealed)]);
    return { integrationId: row.id };
  } catch (err) {
    await releaseIdempotencyKey(db, claim);
    throw err;
  }
}
