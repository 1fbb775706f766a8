import type { SetSsoConfigRequest, SsoConfig } from "@ambit/protocol";
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { teamSso } from "../../db/schema.ts";
import { getConfig } from "../../env.ts";
import { openValue, sealValue } from "../../lib/envelope.ts";
import { AppError } from "../../lib/errors.ts";
import { teamDataKey } from "../../lib/team-data-key.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { endSessionsNotViaSso } from "../web-sessions.ts";
import { discover, GITHUB_ISSUER, type SsoClient } from "./provider.ts";

// A team's single sign-on settings (admins). The client secret is sealed like a secret, bound to
// the team's SSO (a ciphertext copied elsewhere does not open) and never returned.

type SsoRow = typeof teamSso.$inferSelect;

const binding = (teamId: string) => ({
  teamId,
  scope: "team" as const,
  ownerId: "sso:",
  name: "client_secret",
});

/** Where the provider sends people back, and where they start, on this platform. */
export const ssoUrls = (baseUrl: string, teamId: string) => ({
  redirect_uri: `${baseUrl}/api/v1/auth/sso/callback`,
  sign_in_url: `${baseUrl}/api/v1/auth/sso/start?team=${teamId}`,
});

const toSsoConfig = (row: SsoRow, baseUrl: string): SsoConfig => ({
  provider: row.provider,
  issuer: row.issuer,
  client_id: row.clientId,
  client_secret_set: true,
  allowed_domains: row.allowedDomains,
  default_role: row.defaultRole,
  required: row.required,
  ...ssoUrls(baseUrl, row.teamId),
  updated_at: iso(row.updatedAt),
});

/** The team's SSO row, or undefined. */
export async function readSso(db: Db, teamId: string): Promise<SsoRow | undefined> {
  const [row] = await db.select().from(teamSso).where(eq(teamSso.teamId, teamId)).limit(1);
  return row;
}

const notConfigured = () =>
  new AppError(
    "resource_not_found",
    "this team has no single sign-on configured; an admin sets it with PUT /api/v1/team/sso " +
      "(`ambit sso set`)",
  );

export async function getSsoConfig({ ctx }: { ctx: Ctx }): Promise<SsoConfig> {
  requireRole(ctx, "admin", "Reading the team's single sign-on");
  const row = await readSso(ctx.db, ctx.teamId);
  if (!row) throw notConfigured();
  return toSsoConfig(row, ctx.baseUrl);
}

/**
 * Sets the team's SSO (admins), checking an OpenID provider's discovery first. Making it
 * required ends the team's console sessions opened another way.
 */
export async function setSsoConfig({ ctx, input }: { ctx: Ctx; input: SetSsoConfigRequest }) {
  requireRole(ctx, "admin", "Configuring the team's single sign-on");
  // GitHub: github.com unless an Enterprise Server's URL is given
  const issuer = input.issuer ?? (input.provider === "github" ? GITHUB_ISSUER : undefined);
  if (!issuer) {
    throw new AppError("invalid_request", "an OpenID Connect provider needs its `issuer` URL", {
      errors: [{ path: "issuer", message: "required for provider 'oidc'" }],
    });
  }
  const allowHttp = getConfig(ctx.env).SSO_ALLOW_HTTP;
  if (!allowHttp && new URL(issuer).protocol !== "https:") {
    throw new AppError("invalid_request", "the issuer must be an https URL", {
      errors: [{ path: "issuer", message: "not https (SSO_ALLOW_HTTP is off)" }],
    });
  }
  const existing = await readSso(ctx.db, ctx.teamId);
  if (!input.client_secret && !existing) {
    throw new AppError("invalid_request", "the first configuration needs the `client_secret`", {
      errors: [{ path: "client_secret", message: "required" }],
    });
  }
  await discover({ provider: input.provider, issuer, allowHttp });
  const sealed = input.client_secret
    ? await sealValue(
        (await teamDataKey(ctx.env, ctx.teamId, true))!,
        binding(ctx.teamId),
        input.client_secret,
      )
    : existing!.clientSecretSealed;
  const now = Date.now();
  const row: SsoRow = {
    teamId: ctx.teamId,
    provider: input.provider,
    issuer,
    clientId: input.client_id,
    clientSecretSealed: sealed,
    allowedDomains: [...new Set(input.allowed_domains)],
    defaultRole: input.default_role,
    required: input.required,
    updatedBy: ctx.actor.id,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const { teamId: _, createdAt: __, ...update } = row;
  await ctx.db
    .insert(teamSso)
    .values(row)
    .onConflictDoUpdate({ target: teamSso.teamId, set: update });
  if (row.required && !existing?.required) await endSessionsNotViaSso(ctx);
  return toSsoConfig(row, ctx.baseUrl);
}

export async function deleteSsoConfig({ ctx }: { ctx: Ctx }) {
  requireRole(ctx, "admin", "Removing the team's single sign-on");
  const gone = await ctx.db.delete(teamSso).where(eq(teamSso.teamId, ctx.teamId)).returning();
  if (!gone.length) throw notConfigured();
}

/** The client as the sign-in uses it, its secret opened. */
export async function ssoClient(env: Env, row: SsoRow): Promise<SsoClient> {
  const key = await teamDataKey(env, row.teamId, false);
  if (!key) throw new Error(`team ${row.teamId} has no data key to open its SSO client secret`);
  return {
    provider: row.provider,
    issuer: row.issuer,
    clientId: row.clientId,
    clientSecret: await openValue(key, binding(row.teamId), row.clientSecretSealed),
    allowHttp: getConfig(env).SSO_ALLOW_HTTP,
  };
}
