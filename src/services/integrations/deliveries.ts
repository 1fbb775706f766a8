import type {
  IntegrationDeliveryItem,
  ListIntegrationDeliveriesQuery,
  ListIntegrationDeliveriesResponse,
} from "@ambit/protocol";
import { and, desc, eq, gte, type SQL, sql } from "drizzle-orm";
import { integrationDeliveries } from "../../db/schema.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { type Ctx, requireRole } from "../context.ts";
import { getIntegrationRow, requireReader } from "./get-integration.ts";
import { toDeliveryItem } from "./integration-item.ts";
import { payloadKey } from "./payloads.ts";
import { enqueueDelivery } from "./receive-delivery.ts";

const SORT = "received_at";

/** An integration's deliveries, newest first, filtered, one keyset page at a time (members). */
export async function listDeliveries({
  ctx,
  id,
  input,
}: {
  ctx: Ctx;
  id: string;
  input: ListIntegrationDeliveriesQuery;
}): Promise<ListIntegrationDeliveriesResponse> {
  requireReader(ctx);
  await getIntegrationRow(ctx, id);
  const d = integrationDeliveries;
  const where: (SQL | undefined)[] = [
    eq(d.teamId, ctx.teamId),
    eq(d.integrationId, id),
    input.outcome ? eq(d.outcome, input.outcome) : undefined,
    input.event ? eq(d.event, input.event) : undefined,
    input.since ? gte(d.receivedAt, Date.parse(input.since)) : undefined,
  ];
  if (input.cursor) {
    const c = decodeCursor(input.cursor, SORT, "desc");
    where.push(sql`(${d.receivedAt}, ${d.id}) < (${c.value}, ${c.id})`);
  }
  const rows = await ctx.db
    .select()
    .from(d)
    .where(and(...where))
    .orderBy(desc(d.receivedAt), desc(d.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const more = rows.length > input.limit && last;
  return {
    deliveries: page.map(toDeliveryItem),
    page_info: {
      has_next_page: !!more,
      ...(more
        ? {
            next_cursor: encodeCursor({
              sortBy: SORT,
              order: "desc",
              value: last.receivedAt,
              id: last.id,
            }),
          }
        : {}),
    },
  };
}

/**
 * Processes a stored payload again (admin): a new delivery, linked to the original, through the
 * same queue. The original must still have its payload (30 days; a rejected one never had one).
 */
export async function redeliverDelivery({
  ctx,
  id,
  deliveryId,
}: {
  ctx: Ctx;
  id: string;
  deliveryId: string;
}): Promise<IntegrationDeliveryItem> {
  requireRole(ctx, "admin", "Redelivering integration deliveries");
  const integration = await getIntegrationRow(ctx, id);
  const [original] = await ctx.db
    .select()
    .from(integrationDeliveries)
    .where(
      and(
        eq(integrationDeliveries.teamId, ctx.teamId),
        eq(integrationDeliveries.integrationId, id),
        eq(integrationDeliveries.id, deliveryId),
      ),
    )
    .limit(1);
  if (!original) throw notFound("Delivery", deliveryId);
  const stored = original.payloadKey ? await ctx.env.ARTIFACTS.get(original.payloadKey) : null;
  if (!stored)
    throw new AppError(
      "operation_not_supported",
      original.outcome === "rejected"
        ? "a rejected delivery's payload is never stored, so it cannot be processed again; send it again from its origin"
        : "this delivery's payload is no longer stored (payloads are kept 30 days); send it again from its origin",
    );
  const now = Date.now();
  const newId = uuidv7(now);
  const key = payloadKey(ctx.teamId, id, newId);
  await ctx.env.ARTIFACTS.put(key, await stored.arrayBuffer(), {
    httpMetadata: stored.httpMetadata,
  });
  const [row] = await ctx.db
    .insert(integrationDeliveries)
    .values({
      id: newId,
      teamId: ctx.teamId,
      integrationId: id,
      event: original.event,
      outcome: "received",
      redeliveryOf: original.id,
      payloadKey: key,
      receivedAt: now,
    })
    .returning();
  await enqueueDelivery(
    ctx.env,
    ctx.db,
    { delivery_id: newId, integration_id: integration.id, team_id: ctx.teamId },
    key,
  );
  return toDeliveryItem(row);
}
