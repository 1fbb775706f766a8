import type {
  CreateSecretRequest,
  Secret,
  SecretScope,
  SecretType,
  UpdateSecretRequest,
} from "@ambit/protocol";
import { and, asc, desc, eq, or } from "drizzle-orm";
import { secrets } from "../../db/schema.ts";
import { sealValue } from "../../lib/envelope.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { rewrapTeamKey, teamDataKey } from "../../lib/team-data-key.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, ownPersonal, requirePersonal, requireRole } from "../context.ts";
import { writeTeamConfig } from "./team-config.ts";
import { diffForAudit, noteAuditChanges } from "../../lib/audit-note.ts";

type SecretRow = typeof secrets.$inferSelect;

/** The one place that decides what of a secret is public: never its value or ciphertext. */
function toSecret(row: SecretRow): Secret {
  return {
    name: row.name,
    description: row.description,
    type: row.type as SecretType,
    scope:
      row.scope === "team" ? { type: "Team", uid: row.teamId } : { type: "User", uid: row.ownerId },
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    created_by: row.createdBy,
  };
}

/** Team secrets need admin; personal secrets belong to the caller (a user or a named agent's key), through a key of their own. */
function authorize(ctx: Ctx, scope: SecretScope, action: string): string {
  if (scope === "team") {
    requireRole(ctx, "admin", `${action} team secrets`);
    return "";
  }
  requireRole(ctx, "member", `${action} personal secrets`);
  if (ctx.actor.type === "system")
    throw new AppError("operation_not_supported", "the system actor has no personal secrets");
  return requirePersonal(ctx, `${action} personal secrets`);
}

const rowKey = (ctx: Ctx, scope: SecretScope, ownerId: string, name: string) =>
  and(
    eq(secrets.teamId, ctx.teamId),
    eq(secrets.scope, scope),
    eq(secrets.ownerId, ownerId),
    eq(secrets.name, name),
  );

async function seal(ctx: Ctx, scope: SecretScope, ownerId: string, name: string, value: string) {
  const key = (await teamDataKey(ctx.env, ctx.teamId, true))!;
  return sealValue(key, { teamId: ctx.teamId, scope, ownerId, name }, value);
}

/** Team secrets and the caller's own personal secrets (names and descriptions only). */
export async function listSecrets({ ctx }: { ctx: Ctx }): Promise<Secret[]> {
  const own = ownPersonal(ctx);
  const rows = await ctx.db
    .select()
    .from(secrets)
    .where(
      and(
        eq(secrets.teamId, ctx.teamId),
        or(
          eq(secrets.scope, "team"),
          own === undefined
            ? undefined
            : and(eq(secrets.scope, "personal"), eq(secrets.ownerId, own)),
        ),
      ),
    )
    .orderBy(desc(secrets.scope), asc(secrets.name)); // team first
  return rows.map(toSecret);
}

export async function createSecret({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateSecretRequest;
}): Promise<Secret> {
  const ownerId = authorize(ctx, input.scope, "Creating");
  const now = Date.now();
  const row: SecretRow = {
    teamId: ctx.teamId,
    scope: input.scope,
    ownerId,
    name: input.name,
    description: input.description ?? null,
    type: input.type,
    ciphertext: await seal(ctx, input.scope, ownerId, input.name, input.value),
    createdBy: ctx.actor.id,
    createdAt: now,
    updatedAt: now,
  };
  const [existing] = await ctx.db
    .select({ name: secrets.name })
    .from(secrets)
    .where(rowKey(ctx, input.scope, ownerId, input.name))
    .limit(1);
  if (existing) {
    throw new AppError(
      "conflict",
      `a ${input.scope} secret named '${input.name}' already exists; change it with PUT /api/v1/agent/secrets/${input.name}?scope=${input.scope}`,
      { retryable: false },
    );
  }
  await writeTeamConfig(ctx, [ctx.db.insert(secrets).values(row).onConflictDoNothing()]);
  noteAuditChanges(ctx, {
    ...diffForAudit(null, { name: row.name, scope: row.scope, type: row.type }),
    value: { after: "(set)" }, // a secret's name is recorded, never its value
  });
  return toSecret(row);
}

export async function updateSecret({
  ctx,
  name,
  scope,
  input,
}: {
  ctx: Ctx;
  name: string;
  scope: SecretScope;
  input: UpdateSecretRequest;
}): Promise<Secret> {
  const ownerId = authorize(ctx, scope, "Changing");
  const [row] = await ctx.db
    .select()
    .from(secrets)
    .where(rowKey(ctx, scope, ownerId, name))
    .limit(1);
  if (!row) throw notFound(`${scope === "team" ? "Team" : "Personal"} secret`, name);
  const next: SecretRow = {
    ...row,
    ...(input.value !== undefined
      ? { ciphertext: await seal(ctx, scope, ownerId, name, input.value) }
      : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.type !== undefined ? { type: input.type } : {}),
    updatedAt: Date.now(),
  };
  await writeTeamConfig(ctx, [
    ctx.db
      .update(secrets)
      .set({
        ciphertext: next.ciphertext,
        description: next.description,
        type: next.type,
        updatedAt: next.updatedAt,
      })
      .where(rowKey(ctx, scope, ownerId, name)),
  ]);
  noteAuditChanges(ctx, {
    name: { before: name, after: name },
    scope: { before: scope, after: scope },
    ...diffForAudit(
      { type: row.type, description: row.description },
      { type: next.type, description: next.description },
    ),
    ...(input.value !== undefined ? { value: { before: "(set)", after: "(changed)" } } : {}),
  });
  return toSecret(next);
}

export async function deleteSecret({
  ctx,
  name,
  scope,
}: {
  ctx: Ctx;
  name: string;
  scope: SecretScope;
}): Promise<void> {
  const ownerId = authorize(ctx, scope, "Deleting");
  const [row] = await ctx.db
    .select({ name: secrets.name })
    .from(secrets)
    .where(rowKey(ctx, scope, ownerId, name))
    .limit(1);
  if (!row) throw notFound(`${scope === "team" ? "Team" : "Personal"} secret`, name);
  await writeTeamConfig(ctx, [ctx.db.delete(secrets).where(rowKey(ctx, scope, ownerId, name))]);
  noteAuditChanges(ctx, { name: { before: name }, scope: { before: scope } });
}

/** Wraps the team's data key under the current platform key (after a `SECRETS_KEY` rotation). */
export async function rotateSecretsKey({ ctx }: { ctx: Ctx }) {
  requireRole(ctx, "admin", "Rewrapping the team's secrets key");
  const r = await rewrapTeamKey(ctx.env, ctx.teamId);
  return { rewrapped: r.rewrapped, key_id: r.kid ?? "" };
}

/** Names of the personal secrets `ownerId` has in this team (to validate references of their runs). */
export async function personalSecretNames(ctx: Ctx, ownerId: string): Promise<string[]> {
  const rows = await ctx.db
    .select({ name: secrets.name })
    .from(secrets)
    .where(
      and(
        eq(secrets.teamId, ctx.teamId),
        eq(secrets.scope, "personal"),
        eq(secrets.ownerId, ownerId),
      ),
    );
  return rows.map((r) => r.name);
}
