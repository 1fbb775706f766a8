import type { PlatformEventMessage, WebhookSendMessage } from "@ambit/protocol";
import { and, eq, inArray } from "drizzle-orm";
import { createDb, type Db } from "../../db/client.ts";
import { runs, webhookDeliveries, webhooks } from "../../db/schema.ts";
import { newUid } from "../../lib/ids.ts";
import { iso } from "../../lib/time.ts";
import type { DeliveryRow } from "./webhook-item.ts";

/** Sends a delivery's next attempt to the `WEBHOOK_SENDS` queue (the sender: send.ts). */
export async function queueAttempt(env: Env, row: DeliveryRow, delaySeconds = 0): Promise<void> {
  await env.WEBHOOK_SENDS.send(sendMessage(row), {
    contentType: "json",
    ...(delaySeconds ? { delaySeconds } : {}),
  });
}

/** The message of a delivery's next attempt (the one `attempt_count` says is due). */
const sendMessage = (row: DeliveryRow): WebhookSendMessage => ({
  delivery_id: row.id,
  team_id: row.teamId,
  attempt: row.attemptCount,
});

/** The exact body every attempt of an event's delivery sends (Standard Webhooks' shape). */
export function eventBody(event: { type: string; at: number; data: Record<string, unknown> }) {
  return JSON.stringify({ type: event.type, timestamp: iso(event.at), data: event.data });
}

/** A delivery of `event` to one webhook, its first attempt due now. */
export function newDelivery(input: {
  webhookId: string;
  teamId: string;
  event: { id: string; type: string };
  payload: string;
}): DeliveryRow {
  const now = Date.now();
  return {
    id: newUid(),
    webhookId: input.webhookId,
    teamId: input.teamId,
    eventId: input.event.id,
    eventType: input.event.type,
    payload: input.payload,
    status: "pending",
    attemptCount: 0,
    seriesStart: 0,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
  };
}

export type TeamWebhook = { id: string; eventTypes: unknown; createdAt: number };

/** The enabled webhooks of a team (what `fanOutEvent` matches an event's type against). */
export function enabledWebhooks(env: Env, teamId: string): Promise<TeamWebhook[]> {
  return createDb(env.DB)
    .select({ id: webhooks.id, eventTypes: webhooks.eventTypes, createdAt: webhooks.createdAt })
    .from(webhooks)
    .where(and(eq(webhooks.teamId, teamId), eq(webhooks.enabled, true)));
}

/**
 * Makes one delivery of the event per enabled webhook of its team that subscribes to its type
 * and existed when the event happened (a webhook hears of the changes made after it: a run's
 * session may send a change again after a restart, one that no one heard when it was made), and
 * queues each one's first attempt. A redelivered event finds its deliveries made
 * (UNIQUE(webhook, event)); one whose first attempt was never made is queued again, which the
 * sender's claim on `attempt_count` makes harmless if it was. Answers how many were made now.
 * `teamWebhooks`: the team's `enabledWebhooks`, when the caller read them once for many events.
 */
export async function fanOutEvent(
  env: Env,
  event: PlatformEventMessage,
  teamWebhooks?: TeamWebhook[],
): Promise<number> {
  const db = createDb(env.DB);
  const subscribed = (teamWebhooks ?? (await enabledWebhooks(env, event.team_id))).filter(
    (w) => (w.eventTypes as string[]).includes(event.type) && w.createdAt <= event.at,
  );
  if (!subscribed.length) return 0;
  const payload = eventBody({ ...event, data: await withRunSummary(db, event) });
  const rows = subscribed.map((w) =>
    newDelivery({ webhookId: w.id, teamId: event.team_id, event, payload }),
  );
  const made = await db.insert(webhookDeliveries).values(rows).onConflictDoNothing().returning();
  const unsent = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.eventId, event.id),
        inArray(
          webhookDeliveries.webhookId,
          subscribed.map((w) => w.id),
        ),
        eq(webhookDeliveries.status, "pending"),
        eq(webhookDeliveries.attemptCount, 0),
      ),
    );
  if (unsent.length)
    await env.WEBHOOK_SENDS.sendBatch(
      unsent.map((row) => ({ body: sendMessage(row), contentType: "json" as const })),
    );
  return made.length;
}

/**
 * A run event names the run's source and title, which its Durable Object does not hold: read
 * from the run's row as it is when the event is handled.
 */
export async function withRunSummary(db: Db, event: PlatformEventMessage) {
  const runId = event.data.run_id;
  if (typeof runId !== "string" || ("title" in event.data && "source" in event.data))
    return event.data;
  const [row] = await db
    .select({ title: runs.title, source: runs.source })
    .from(runs)
    .where(and(eq(runs.teamId, event.team_id), eq(runs.id, runId)));
  return row ? { ...event.data, source: row.source, title: row.title } : event.data;
}
