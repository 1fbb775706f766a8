import { and, asc, eq, isNotNull, lt } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { integrationDeliveries } from "../../db/schema.ts";

/** How long a delivery's payload is kept in R2 (its row, with the outcome, stays). */
export const PAYLOAD_TTL_MS = 30 * 24 * 3_600_000;

const prefixOf = (teamId: string, integrationId: string) =>
  `integrations/${teamId}/${integrationId}/`;

/** Where a delivery's raw body is kept (the `ARTIFACTS` bucket). */
export const payloadKey = (teamId: string, integrationId: string, deliveryId: string) =>
  `${prefixOf(teamId, integrationId)}${deliveryId}`;

/** Deletes every stored payload of an integration (it is being deleted). */
export async function deletePayloadsOf(env: Env, teamId: string, integrationId: string) {
  let cursor: string | undefined;
  do {
    const page = await env.ARTIFACTS.list({ prefix: prefixOf(teamId, integrationId), cursor });
    if (page.objects.length) await env.ARTIFACTS.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/**
 * Housekeeping: deletes up to `limit` payloads older than 30 days, oldest first, and forgets their
 * keys (the partial index `integration_deliveries_payload_expiry` holds only rows that have one).
 */
export async function pruneDeliveryPayloads(env: Env, db: Db, now: number, limit = 200) {
  const old = await db
    .select({ id: integrationDeliveries.id, key: integrationDeliveries.payloadKey })
    .from(integrationDeliveries)
    .where(
      and(
        isNotNull(integrationDeliveries.payloadKey),
        lt(integrationDeliveries.receivedAt, now - PAYLOAD_TTL_MS),
      ),
    )
    .orderBy(asc(integrationDeliveries.receivedAt))
    .limit(limit);
  if (!old.length) return 0;
  await env.ARTIFACTS.delete(old.map((o) => o.key!));
  await db.batch(
    old.map((o) =>
      db
        .update(integrationDeliveries)
        .set({ payloadKey: null })
        .where(eq(integrationDeliveries.id, o.id)),
    ) as [never, ...never[]],
  );
  return old.length;
}
