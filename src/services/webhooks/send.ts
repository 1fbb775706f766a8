import { WEBHOOK_TEST_EVENT, type WebhookSendMessage } from "@ambit/protocol";
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { createDb, type Db } from "../../db/client.ts";
import { webhookAttempts, webhookDeliveries, webhooks } from "../../db/schema.ts";
import { getConfig } from "../../env.ts";
import { newUid } from "../../lib/ids.ts";
import { errorText } from "../../lib/log.ts";
import { iso } from "../../lib/time.ts";
import { nextDelay } from "./backoff.ts";
import { refusedDestination } from "./destination.ts";
import { queueAttempt } from "./fan-out.ts";
import { signWebhook } from "./signing.ts";
import type { DeliveryRow, WebhookRow } from "./webhook-item.ts";
import { openWebhookSecret } from "./write-webhook.ts";

/** How long one attempt waits for the answer (Standard Webhooks advises 15–30 s). */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** How much of an answer an attempt keeps. */
const KEPT_BYTES = 1024;
const DAY_MS = 86_400_000;

type Answer = {
  status: number | null;
  error: string | null;
  body: string | null;
  retryAfter: string | null;
};

/**
 * Makes attempt `msg.attempt` of a delivery, if that is the attempt due: a message delivered
 * again, or one of a series a resend replaced, finds `attempt_count` moved on and sends nothing.
 * Records the attempt, then either ends the delivery (2xx; 410 Gone, which disables the endpoint;
 * the schedule run out) or queues the next attempt with its delay.
 */
export async function attemptDelivery(
  env: Env,
  msg: WebhookSendMessage,
): Promise<"sent" | "skipped"> {
  const db = createDb(env.DB);
  const [found] = await db
    .select({ delivery: webhookDeliveries, hook: webhooks })
    .from(webhookDeliveries)
    .leftJoin(
      webhooks,
      and(eq(webhooks.id, webhookDeliveries.webhookId), eq(webhooks.teamId, msg.team_id)),
    )
    .where(
      and(eq(webhookDeliveries.id, msg.delivery_id), eq(webhookDeliveries.teamId, msg.team_id)),
    );
  const { delivery, hook } = found ?? {};
  if (!delivery || delivery.attemptCount !== msg.attempt) return "skipped";
  // a test is sent to a disabled endpoint too: it is how one checks it before enabling it again
  if (!hook || (!hook.enabled && delivery.eventType !== WEBHOOK_TEST_EVENT)) {
    await db
      .update(webhookDeliveries)
      .set({ status: "gave_up", nextAttemptAt: null, updatedAt: Date.now() })
      .where(claimable(delivery.id, msg.attempt));
    return "skipped";
  }
  const now = Date.now();
  const [claimed] = await db
    .update(webhookDeliveries)
    // in flight until then: the sweep (sweep.ts) leaves it alone unless this consumer dies
    .set({ attemptCount: msg.attempt + 1, nextAttemptAt: now + ATTEMPT_TIMEOUT_MS, updatedAt: now })
    .where(claimable(delivery.id, msg.attempt))
    .returning();
  if (!claimed) return "skipped";
  const at = Date.now();
  const answer = await post(env, hook, claimed);
  await settle(env, db, hook, claimed, answer, at, Date.now() - at);
  return "sent";
}

/** The delivery, still expecting this attempt and not ended. */
const claimable = (id: string, attempt: number) =>
  and(
    eq(webhookDeliveries.id, id),
    eq(webhookDeliveries.attemptCount, attempt),
    inArray(webhookDeliveries.status, ["pending", "failed"]),
  );

/** One signed POST; never throws: a refused destination, a timeout, a network error are answers. */
async function post(env: Env, hook: WebhookRow, delivery: DeliveryRow): Promise<Answer> {
  const none = { status: null, body: null, retryAfter: null };
  const refused = refusedDestination(hook.url, getConfig(env).WEBHOOKS_ALLOW_PRIVATE);
  if (refused) return { ...none, error: `destination refused: ${refused}` };
  try {
    const timestamp = Math.floor(Date.now() / 1000);
    const secret = await openWebhookSecret(env, hook);
    const res = await fetch(hook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Ambit-Webhooks/1",
        "webhook-id": delivery.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(
          secret,
          delivery.eventId,
          timestamp,
          delivery.payload,
        ),
      },
      body: delivery.payload,
      redirect: "manual", // a redirect is a failure, never followed (it could point anywhere)
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    return {
      status: res.status,
      error: null,
      body: await readHead(res),
      retryAfter: res.headers.get("retry-after"),
    };
  } catch (err) {
    const timedOut = err instanceof Error && err.name === "TimeoutError";
    const error = timedOut ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : errorText(err);
    return { ...none, error };
  }
}

/** The first KEPT_BYTES of the answer, as text; the rest is not read. */
async function readHead(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < KEPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all.slice(0, KEPT_BYTES));
}

/** Records the attempt and what follows from it, for the delivery and for its endpoint. */
async function settle(
  env: Env,
  db: Db,
  hook: WebhookRow,
  delivery: DeliveryRow,
  answer: Answer,
  at: number,
  latencyMs: number,
) {
  const now = Date.now();
  const attempt = db.insert(webhookAttempts).values({
    id: newUid(),
    deliveryId: delivery.id,
    teamId: delivery.teamId,
    at,
    httpStatus: answer.status,
    error: answer.error,
    latencyMs,
    responseBody: answer.body,
  });
  const ofHook = and(eq(webhooks.id, hook.id), eq(webhooks.teamId, hook.teamId));
  const ofDelivery = eq(webhookDeliveries.id, delivery.id);
  const ended = { nextAttemptAt: null, updatedAt: now };
  if (answer.status !== null && answer.status >= 200 && answer.status < 300) {
    await db.batch([
      attempt,
      db
        .update(webhookDeliveries)
        .set({ status: "succeeded", ...ended })
        .where(ofDelivery),
      db
        .update(webhooks)
        .set({ failingSince: null })
        .where(and(ofHook, isNotNull(webhooks.failingSince))),
    ]);
    return;
  }
  if (answer.status === 410) {
    const reason =
      `the endpoint answered 410 Gone at ${iso(at)}, which asks for no more deliveries; ` +
      'enable it again with PATCH /api/v1/webhooks/{uid} {"enabled": true}';
    await db.batch([
      attempt,
      db
        .update(webhookDeliveries)
        .set({ status: "gave_up", ...ended })
        .where(ofDelivery),
      db
        .update(webhooks)
        .set({ enabled: false, disabledReason: reason, updatedAt: now })
        .where(ofHook),
    ]);
    return;
  }
  const failingSince = hook.failingSince ?? at;
  const config = getConfig(env);
  const days = config.WEBHOOKS_DISABLE_AFTER_DAYS;
  const tooLong = at - failingSince >= days * DAY_MS;
  const delay = tooLong
    ? null
    : nextDelay(
        delivery.attemptCount - 1 - delivery.seriesStart,
        answer.retryAfter,
        config.WEBHOOKS_RETRY_DELAYS,
      );
  await db.batch([
    attempt,
    db
      .update(webhookDeliveries)
      .set(
        delay === null
          ? { status: "gave_up", ...ended }
          : { status: "failed", nextAttemptAt: now + delay * 1000, updatedAt: now },
      )
      .where(ofDelivery),
    db
      .update(webhooks)
      .set(
        tooLong
          ? {
              failingSince,
              enabled: false,
              updatedAt: now,
              disabledReason:
                `every attempt since ${iso(failingSince)} failed (${days} days or more); ` +
                "fix the endpoint, then enable it again with PATCH /api/v1/webhooks/{uid} " +
                '{"enabled": true} and resend what it missed',
            }
          : { failingSince: sql`coalesce(${webhooks.failingSince}, ${at})` },
      )
      .where(ofHook),
  ]);
  if (delay !== null) await queueAttempt(env, delivery, delay);
}
