import type {
  CreateWebhookRequest,
  CreateWebhookResponse,
  UpdateWebhookRequest,
  WebhookItem,
} from "@ambit/protocol";
import { and, desc, eq, inArray } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhooks } from "../../db/schema.ts";
import { getConfig } from "../../env.ts";
import { openValue, type SecretBinding, sealValue } from "../../lib/envelope.ts";
import { notFound } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { teamDataKey } from "../../lib/team-data-key.ts";
import { type Ctx, requireRole } from "../context.ts";
import { assertDestination } from "./destination.ts";
import { newWebhookSecret } from "./signing.ts";
import { toWebhookItem, type WebhookRow } from "./webhook-item.ts";

// Outbound webhooks are the team's configuration and carry a signing secret: admins only, for
// reading too (docs/security.md).

/** The secret's sealing is bound to its webhook: a sealed value copied to another row never opens. */
const binding = (teamId: string, webhookId: string): SecretBinding => ({
  teamId,
  scope: "team",
  ownerId: `webhook:${webhookId}`,
  name: "signing_secret",
});

/** Opens an endpoint's `whsec_` secret (for signing; never for an answer). */
export async function openWebhookSecret(env: Env, row: WebhookRow): Promise<string> {
  const key = await teamDataKey(env, row.teamId, false);
  if (!key) throw new Error(`team ${row.teamId} has no data key to open webhook ${row.id}`);
  return openValue(key, binding(row.teamId, row.id), row.sealedSecret);
}

/** The webhook of this team, or `resource_not_found` (another team's is simply not there). */
export async function getWebhookInTeam(ctx: Ctx, uid: string): Promise<WebhookRow> {
  const [row] = await ctx.db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.teamId, ctx.teamId), eq(webhooks.id, uid)));
  if (!row) throw notFound("webhook", uid);
  return row;
}

export async function listWebhooks({ ctx }: { ctx: Ctx }): Promise<WebhookItem[]> {
  requireRole(ctx, "admin", "Reading outbound webhooks");
  const rows = await ctx.db
    .select()
    .from(webhooks)
    .where(eq(webhooks.teamId, ctx.teamId))
    .orderBy(desc(webhooks.createdAt));
  return rows.map(toWebhookItem);
}

export async function getWebhook({ ctx, uid }: { ctx: Ctx; uid: string }): Promise<WebhookItem> {
  requireRole(ctx, "admin", "Reading outbound webhooks");
  return toWebhookItem(await getWebhookInTeam(ctx, uid));
}

/** Creates an endpoint with a new `whsec_` secret, which only this answer shows. */
export async function createWebhook({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateWebhookRequest;
}): Promise<CreateWebhookResponse> {
  requireRole(ctx, "admin", "Creating outbound webhooks");
  assertDestination(input.url, getConfig(ctx.env).WEBHOOKS_ALLOW_PRIVATE);
  const id = newUid();
  const secret = newWebhookSecret();
  const key = (await teamDataKey(ctx.env, ctx.teamId, true))!;
  const now = Date.now();
  const row: WebhookRow = {
    id,
    teamId: ctx.teamId,
    url: input.url,
    eventTypes: input.event_types,
    sealedSecret: await sealValue(key, binding(ctx.teamId, id), secret),
    enabled: input.enabled ?? true,
    disabledReason: null,
    failingSince: null,
    description: input.description ?? null,
    createdBy: ctx.actor.id,
    createdAt: now,
    updatedBy: ctx.actor.id,
    updatedAt: now,
  };
  await ctx.db.insert(webhooks).values(row);
  return { ...toWebhookItem(row), secret };
}

/** Changes what is given; enabling an endpoint clears why it was disabled and its failing run. */
export async function updateWebhook({
  ctx,
  uid,
  input,
}: {
  ctx: Ctx;
  uid: string;
  input: UpdateWebhookRequest;
}): Promise<WebhookItem> {
  requireRole(ctx, "admin", "Changing outbound webhooks");
  const row = await getWebhookInTeam(ctx, uid);
  if (input.url !== undefined)
    assertDestination(input.url, getConfig(ctx.env).WEBHOOKS_ALLOW_PRIVATE);
  const set: Partial<WebhookRow> = { updatedAt: Date.now(), updatedBy: ctx.actor.id };
  if (input.url !== undefined) set.url = input.url;
  if (input.event_types !== undefined) set.eventTypes = input.event_types;
  if (input.description !== undefined) set.description = input.description;
  if (input.enabled !== undefined) {
    set.enabled = input.enabled;
    if (input.enabled) Object.assign(set, { disabledReason: null, failingSince: null });
  }
  const [updated] = await ctx.db
    .update(webhooks)
    .set(set)
    .where(and(eq(webhooks.teamId, ctx.teamId), eq(webhooks.id, row.id)))
    .returning();
  if (!updated) throw notFound("webhook", uid);
  return toWebhookItem(updated);
}

/** Deletes the endpoint with its deliveries and their attempts; queued attempts find nothing. */
export async function deleteWebhook({ ctx, uid }: { ctx: Ctx; uid: string }): Promise<void> {
  requireRole(ctx, "admin", "Deleting outbound webhooks");
  const row = await getWebhookInTeam(ctx, uid);
  const ofWebhook = and(
    eq(webhookDeliveries.teamId, ctx.teamId),
    eq(webhookDeliveries.webhookId, row.id),
  );
  const deliveryIds = ctx.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(ofWebhook);
  await ctx.db.batch([
    ctx.db.delete(webhookAttempts).where(inArray(webhookAttempts.deliveryId, deliveryIds)),
    ctx.db.delete(webhookDeliveries).where(ofWebhook),
    ctx.db.delete(webhooks).where(and(eq(webhooks.teamId, ctx.teamId), eq(webhooks.id, row.id))),
  ]);
}
