import {
  type ListWebhookDeliveriesQuery,
  type ListWebhookDeliveriesResponse,
  WEBHOOK_TEST_EVENT,
  type WebhookDeliveryItem,
} from "@ambit/protocol";
import { and, desc, eq, inArray, lt, or } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries } from "../../db/schema.ts";
import { decodeCursor, keysetPage } from "../../lib/cursor.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { type Ctx, requireRole } from "../context.ts";
import { eventBody, newDelivery, queueAttempt } from "./fan-out.ts";
import { type DeliveryRow, toDeliveryItem } from "./webhook-item.ts";
import { getWebhookInTeam } from "./write-webhook.ts";

const SORT = "created_at";

/** A webhook's deliveries, newest first, each with its attempts (newest first). */
export async function listDeliveries({
  ctx,
  uid,
  query,
}: {
  ctx: Ctx;
  uid: string;
  query: ListWebhookDeliveriesQuery;
}): Promise<ListWebhookDeliveriesResponse> {
  requireRole(ctx, "admin", "Reading webhook deliveries");
  const hook = await getWebhookInTeam(ctx, uid);
  const limit = query.limit ?? 20;
  const after = query.cursor ? decodeCursor(query.cursor, SORT, "desc") : null;
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.teamId, ctx.teamId),
        eq(webhookDeliveries.webhookId, hook.id),
        query.status ? eq(webhookDeliveries.status, query.status) : undefined,
        after
          ? or(
              lt(webhookDeliveries.createdAt, Number(after.value)),
              and(
                eq(webhookDeliveries.createdAt, Number(after.value)),
                lt(webhookDeliveries.id, after.id),
              ),
            )
          : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit + 1);
  const { page, page_info } = keysetPage(rows, limit, (last) => ({
    sortBy: SORT,
    order: "desc",
    value: last.createdAt,
    id: last.id,
  }));
  return { deliveries: await withAttempts(ctx, page), page_info };
}

async function withAttempts(ctx: Ctx, rows: DeliveryRow[]): Promise<WebhookDeliveryItem[]> {
  if (!rows.length) return [];
  const attempts = await ctx.db
    .select()
    .from(webhookAttempts)
    .where(
      and(
        eq(webhookAttempts.teamId, ctx.teamId),
        inArray(
          webhookAttempts.deliveryId,
          rows.map((r) => r.id),
        ),
      ),
    )
    .orderBy(desc(webhookAttempts.at), desc(webhookAttempts.id));
  return rows.map((r) =>
    toDeliveryItem(
      r,
      attempts.filter((a) => a.deliveryId === r.id),
    ),
  );
}

/**
 * Sends a delivery again, whatever became of it: the same body and `webhook-id`, a new series of
 * attempts on the retry schedule. Attempts still queued from the old series send nothing.
 */
export async function resendDelivery({
  ctx,
  uid,
  deliveryId,
}: {
  ctx: Ctx;
  uid: string;
  deliveryId: string;
}): Promise<WebhookDeliveryItem> {
  requireRole(ctx, "admin", "Resending webhook deliveries");
  const hook = await getWebhookInTeam(ctx, uid);
  if (!hook.enabled)
    throw new AppError(
      "invalid_request",
      `webhook '${uid}' is disabled (${hook.disabledReason ?? "by an admin"}); enable it with ` +
        'PATCH {"enabled": true}, then resend',
    );
  const now = Date.now();
  const ofDelivery = and(
    eq(webhookDeliveries.teamId, ctx.teamId),
    eq(webhookDeliveries.webhookId, hook.id),
    eq(webhookDeliveries.id, deliveryId),
  );
  const [current] = await ctx.db.select().from(webhookDeliveries).where(ofDelivery);
  if (!current) throw notFound("delivery", deliveryId);
  const [row] = await ctx.db
    .update(webhookDeliveries)
    .set({
      status: "pending",
      seriesStart: current.attemptCount,
      nextAttemptAt: now,
      updatedAt: now,
    })
    // a concurrent attempt moves attempt_count: then the resend starts after it
    .where(and(ofDelivery, eq(webhookDeliveries.attemptCount, current.attemptCount)))
    .returning();
  if (!row)
    throw new AppError(
      "conflict",
      "an attempt of this delivery is under way; try again in a moment",
    );
  await queueAttempt(ctx.env, row);
  return toDeliveryItem(row, []);
}

/**
 * Sends a `webhook.test` event to the endpoint, recorded as a delivery like any other (also to a
 * disabled endpoint, to check it before enabling it again).
 */
export async function testWebhook({
  ctx,
  uid,
}: {
  ctx: Ctx;
  uid: string;
}): Promise<WebhookDeliveryItem> {
  requireRole(ctx, "admin", "Testing outbound webhooks");
  const hook = await getWebhookInTeam(ctx, uid);
  const now = Date.now();
  const eventId = `evt_${uuidv7(now)}`;
  const data = { webhook_uid: hook.id, message: "a test event sent by POST /webhooks/{uid}/test" };
  const row = newDelivery({
    webhookId: hook.id,
    teamId: ctx.teamId,
    event: { id: eventId, type: WEBHOOK_TEST_EVENT },
    payload: eventBody({ type: WEBHOOK_TEST_EVENT, at: now, data }),
  });
  await ctx.db.insert(webhookDeliveries).values(row);
  await queueAttempt(ctx.env, row);
  return toDeliveryItem(row, []);
}
