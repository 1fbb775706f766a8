import type {
  CreateModelRequest,
  ListModelsResponse,
  ModelInfo,
  UpdateModelRequest,
} from "@ambit/protocol";
import { and, asc, eq, ne } from "drizzle-orm";
import { models } from "../../db/schema.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { pricesOf } from "../../lib/model-prices.ts";
import { type Ctx, requireRole } from "../context.ts";
import { loadTeamConfig, type ModelRow, writeTeamConfig, writtenBy } from "./team-config.ts";

const OZ_PROVIDER = { openai: "OPENAI", anthropic: "ANTHROPIC" } as const;

function toModelInfo(row: ModelRow): ModelInfo {
  return {
    id: row.id,
    display_name: row.displayName,
    provider: OZ_PROVIDER[row.provider],
    vision_supported: row.visionSupported,
    ...(row.description ? { description: row.description } : {}),
    ...(row.reasoningLevel ? { reasoning_level: row.reasoningLevel } : {}),
    api: row.provider,
    model: row.model,
    base_url: row.baseUrl,
    api_key_secret: row.apiKeySecret,
    prices: pricesInUsd(row),
    is_default: row.isDefault,
  };
}

/** The prices in force for a catalog entry, in USD per million tokens. */
function pricesInUsd(row: ModelRow) {
  const p = pricesOf(row.model, {
    input: row.inputPrice,
    output: row.outputPrice,
    cacheRead: row.cacheReadPrice,
    cacheWrite: row.cacheWritePrice,
  });
  return {
    input: p.input / 1e6,
    output: p.output / 1e6,
    cache_read: p.cacheRead / 1e6,
    cache_write: p.cacheWrite / 1e6,
  };
}

/** A price in USD per million tokens as the catalog stores it (micro-USD); null: the default. */
const micros = (usd: number | null | undefined) =>
  usd === null || usd === undefined ? null : Math.round(usd * 1e6);

/** The default model: the one marked default, else the first added; none for an empty catalog. */
export const defaultModel = <T extends Pick<ModelRow, "isDefault">>(rows: T[]) =>
  rows.find((m) => m.isDefault) ?? rows[0];

/**
 * Whether `id` is the team's default model now, as the list answers it (the first added counts
 * when none is marked): read after a write, in the list's order.
 */
async function isDefaultNow(ctx: Ctx, id: string): Promise<boolean> {
  const rows = await ctx.db
    .select({ id: models.id, isDefault: models.isDefault })
    .from(models)
    .where(eq(models.teamId, ctx.teamId))
    .orderBy(asc(models.createdAt), asc(models.id));
  return defaultModel(rows)?.id === id;
}

export async function listModels({ ctx }: { ctx: Ctx }): Promise<ListModelsResponse> {
  const rows = (await loadTeamConfig(ctx)).models;
  return {
    default_model_id: defaultModel(rows)?.id ?? "",
    models: rows.map((r) => ({ ...toModelInfo(r), is_default: r === defaultModel(rows) })),
  };
}

const modelKey = (ctx: Ctx, id: string) => and(eq(models.teamId, ctx.teamId), eq(models.id, id));

function fields(input: UpdateModelRequest, id: string) {
  return {
    displayName: input.display_name ?? id,
    provider: input.provider,
    model: input.model,
    baseUrl: input.base_url ?? null,
    apiKeySecret: input.api_key_secret ?? null,
    visionSupported: input.vision_supported,
    description: input.description ?? null,
    reasoningLevel: input.reasoning_level ?? null,
    isDefault: input.default ?? false,
    inputPrice: micros(input.prices?.input),
    outputPrice: micros(input.prices?.output),
    cacheReadPrice: micros(input.prices?.cache_read),
    cacheWritePrice: micros(input.prices?.cache_write),
  };
}

/** Marking a model default unmarks the others, in the same batch. */
const clearOtherDefaults = (ctx: Ctx, id: string) =>
  ctx.db
    .update(models)
    .set({ isDefault: false })
    .where(and(eq(models.teamId, ctx.teamId), ne(models.id, id)));

export async function createModel({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateModelRequest;
}): Promise<ModelInfo> {
  requireRole(ctx, "admin", "Adding models to the catalog");
  const now = Date.now();
  const row: ModelRow = {
    teamId: ctx.teamId,
    id: input.id,
    ...fields(input, input.id),
    ...writtenBy(ctx),
    createdAt: now,
    updatedAt: now,
  };
  const [existing] = await ctx.db
    .select({ id: models.id })
    .from(models)
    .where(modelKey(ctx, input.id))
    .limit(1);
  if (existing)
    throw new AppError(
      "conflict",
      `the catalog already has a model '${input.id}'; change it with PUT /api/v1/agent/models/${input.id}`,
      { retryable: false },
    );
  await writeTeamConfig(ctx, [
    ctx.db.insert(models).values(row).onConflictDoNothing(),
    ...(row.isDefault ? [clearOtherDefaults(ctx, row.id)] : []),
  ]);
  return { ...toModelInfo(row), is_default: await isDefaultNow(ctx, row.id) };
}

/** Full replacement of a catalog entry. */
export async function updateModel({
  ctx,
  id,
  input,
}: {
  ctx: Ctx;
  id: string;
  input: UpdateModelRequest;
}): Promise<ModelInfo> {
  requireRole(ctx, "admin", "Changing the model catalog");
  const [row] = await ctx.db.select().from(models).where(modelKey(ctx, id)).limit(1);
  if (!row) throw notFound("Model", id);
  const next: ModelRow = { ...row, ...fields(input, id), ...writtenBy(ctx), updatedAt: Date.now() };
  await writeTeamConfig(ctx, [
    ctx.db.update(models).set(next).where(modelKey(ctx, id)),
    ...(next.isDefault ? [clearOtherDefaults(ctx, id)] : []),
  ]);
  return { ...toModelInfo(next), is_default: await isDefaultNow(ctx, id) };
}

export async function deleteModel({ ctx, id }: { ctx: Ctx; id: string }): Promise<void> {
  requireRole(ctx, "admin", "Changing the model catalog");
  const [row] = await ctx.db
    .select({ id: models.id })
    .from(models)
    .where(modelKey(ctx, id))
    .limit(1);
  if (!row) throw notFound("Model", id);
  await writeTeamConfig(ctx, [ctx.db.delete(models).where(modelKey(ctx, id))]);
}
