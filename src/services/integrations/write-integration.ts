import type {
  CreateIntegrationRequest,
  CreateIntegrationResponse,
  DeleteIntegrationResponse,
  IntegrationItem,
  UpdateIntegrationRequest,
} from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { integrationDeliveries, integrations, integrationThreads } from "../../db/schema.ts";
import { kindOf } from "../../integrations/registry.ts";
import type { IntegrationKind } from "../../integrations/kind.ts";
import { AppError } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { type Ctx, requireRole } from "../context.ts";
import { credentialFieldsOf, openCredentials, parseWith, sealCredentials } from "./credentials.ts";
import { getIntegration, getIntegrationRow } from "./get-integration.ts";
import { deletePayloadsOf } from "./payloads.ts";

const byOf = (ctx: Ctx) => ({
  type: ctx.actor.type === "service_account" ? ("service_account" as const) : ("user" as const),
  id: ctx.actor.id,
});

function kindOrRefuse(type: string): IntegrationKind {
  const kind = kindOf(type);
  if (!kind)
    throw new AppError(
      "feature_not_available",
      `integrations of type '${type}' are not available on this server yet; use type 'webhook'`,
      { errors: [{ path: "type", message: "not available" }] },
    );
  return kind;
}

/** Creates an integration (admin). Credentials the kind generates are in this answer only. */
export async function createIntegration({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateIntegrationRequest;
}): Promise<CreateIntegrationResponse> {
  requireRole(ctx, "admin", "Creating integrations");
  const kind = kindOrRefuse(input.type);
  const given = input.credentials ?? {};
  const generated = Object.fromEntries(
    Object.entries(kind.generateCredentials?.() ?? {}).filter(([k]) => given[k] === undefined),
  ) as Record<string, string>;
  const credentials = parseWith(kind.credentials, { ...generated, ...given }, "credentials");
  const settings = parseWith(kind.settings, input.settings ?? {}, "settings");
  const id = uuidv7();
  const now = Date.now();
  const by = byOf(ctx);
  await ctx.db.insert(integrations).values({
    id,
    teamId: ctx.teamId,
    type: input.type,
    name: input.name,
    enabled: input.enabled ?? true,
    credentialsSealed: await sealCredentials(
      ctx.env,
      { teamId: ctx.teamId, integrationId: id },
      credentials as Record<string, unknown>,
    ),
    credentialFields: credentialFieldsOf(credentials),
    settings,
    runDefaults: input.run_defaults ?? {},
    promptTemplate: input.prompt_template ?? null,
    createdByType: by.type,
    createdById: by.id,
    updatedByType: by.type,
    updatedById: by.id,
    createdAt: now,
    updatedAt: now,
  });
  const item = await getIntegration({ ctx, id });
  return Object.keys(generated).length ? { ...item, generated_credentials: generated } : item;
}

/**
 * Changes the fields given (admin). Credentials given replace those stored, one field at a time
 * (`null` removes one). Whoever saves it becomes the one its runs act as.
 */
export async function updateIntegration({
  ctx,
  id,
  input,
}: {
  ctx: Ctx;
  id: string;
  input: UpdateIntegrationRequest;
}): Promise<IntegrationItem> {
  requireRole(ctx, "admin", "Changing integrations");
  const row = await getIntegrationRow(ctx, id);
  const kind = kindOrRefuse(row.type);
  let sealed: { credentialsSealed: string; credentialFields: string[] } | undefined;
  if (input.credentials) {
    const merged: Record<string, unknown> = await openCredentials(ctx.env, row);
    for (const [k, v] of Object.entries(input.credentials))
      if (v === null) delete merged[k];
      else merged[k] = v;
    const credentials = parseWith(kind.credentials, merged, "credentials");
    sealed = {
      credentialsSealed: await sealCredentials(
        ctx.env,
        { teamId: ctx.teamId, integrationId: id },
        credentials as Record<string, unknown>,
      ),
      credentialFields: credentialFieldsOf(credentials),
    };
  }
  const by = byOf(ctx);
  await ctx.db
    .update(integrations)
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.settings !== undefined
        ? { settings: parseWith(kind.settings, input.settings, "settings") }
        : {}),
      ...(input.run_defaults !== undefined ? { runDefaults: input.run_defaults } : {}),
      ...(input.prompt_template !== undefined ? { promptTemplate: input.prompt_template } : {}),
      ...sealed,
      updatedByType: by.type,
      updatedById: by.id,
      updatedAt: Date.now(),
    })
    .where(and(eq(integrations.teamId, ctx.teamId), eq(integrations.id, id)));
  return getIntegration({ ctx, id });
}

/** Deletes an integration with its delivery log, threads and stored payloads (admin); its runs stay. */
export async function deleteIntegration({
  ctx,
  id,
}: {
  ctx: Ctx;
  id: string;
}): Promise<DeleteIntegrationResponse> {
  requireRole(ctx, "admin", "Deleting integrations");
  await getIntegrationRow(ctx, id);
  await ctx.db.batch([
    ctx.db
      .delete(integrations)
      .where(and(eq(integrations.teamId, ctx.teamId), eq(integrations.id, id))),
    ctx.db.delete(integrationDeliveries).where(eq(integrationDeliveries.integrationId, id)),
    ctx.db.delete(integrationThreads).where(eq(integrationThreads.integrationId, id)),
  ]);
  await deletePayloadsOf(ctx.env, ctx.teamId, id);
  return { uid: id, deleted: true };
}
