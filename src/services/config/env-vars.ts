import type { EnvVar, EnvVarRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { envVars } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { type EnvVarRow, loadTeamConfig, writeTeamConfig, writtenBy } from "./team-config.ts";

const toEnvVar = (r: EnvVarRow): EnvVar => ({
  name: r.name,
  value: r.value,
  description: r.description,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});
const key = (ctx: Ctx, name: string) => and(eq(envVars.teamId, ctx.teamId), eq(envVars.name, name));

export const listEnvVars = async ({ ctx }: { ctx: Ctx }) =>
  (await loadTeamConfig(ctx)).envVars.map(toEnvVar);

/** Sets a team variable (creates or replaces): `PUT /agent/env-vars/{name}`. */
export async function putEnvVar({
  ctx,
  name,
  input,
}: {
  ctx: Ctx;
  name: string;
  input: EnvVarRequest;
}): Promise<{ created: boolean; envVar: EnvVar }> {
  requireRole(ctx, "admin", "Setting team environment variables");
  const now = Date.now();
  const [row] = await ctx.db.select().from(envVars).where(key(ctx, name)).limit(1);
  const next: EnvVarRow = {
    teamId: ctx.teamId,
    name,
    value: input.value,
    description: input.description ?? null,
    ...writtenBy(ctx),
    createdAt: row?.createdAt ?? now,
    updatedAt: now,
  };
  await writeTeamConfig(ctx, [
    ctx.db
      .insert(envVars)
      .values(next)
      .onConflictDoUpdate({
        target: [envVars.teamId, envVars.name],
        set: {
          value: next.value,
          description: next.description,
          updatedBy: next.updatedBy,
          updatedByRole: next.updatedByRole,
          updatedAt: now,
        },
      }),
  ]);
  return { created: !row, envVar: toEnvVar(next) };
}

export async function deleteEnvVar({ ctx, name }: { ctx: Ctx; name: string }) {
  requireRole(ctx, "admin", "Deleting team environment variables");
  const [row] = await ctx.db
    .select({ name: envVars.name })
    .from(envVars)
    .where(key(ctx, name))
    .limit(1);
  if (!row) throw notFound("Environment variable", name);
  await writeTeamConfig(ctx, [ctx.db.delete(envVars).where(key(ctx, name))]);
}
