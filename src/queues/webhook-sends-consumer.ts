import { WebhookSendMessage } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { webhookDeliveries } from "../db/schema.ts";
import { log } from "../lib/log.ts";
import { attemptDelivery } from "../services/webhooks/send.ts";

/**
 * Consumer of the `WEBHOOK_SENDS` queue: one message is one attempt of one delivery
 * (src/services/webhooks/send.ts), which schedules the next one itself on failure. The queue's
 * own retries only cover this consumer failing (D1 unreachable); an attempt message that keeps
 * failing so lands in the dead-letter queue, whose consumer gives its delivery up.
 */
export async function consumeWebhookSendsQueue(
  batch: MessageBatch<unknown>,
  env: Env,
): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = WebhookSendMessage.safeParse(msg.body);
      if (!parsed.success) {
        log.warn("webhook sends queue: unknown message dropped", { id: msg.id });
        return msg.ack();
      }
      const body = parsed.data;
      try {
        if (dead) await giveUp(env, body);
        else await attemptDelivery(env, body);
        msg.ack();
      } catch (err) {
        log.error("webhook attempt failed to run; will retry", {
          delivery_id: body.delivery_id,
          attempts: msg.attempts,
          error: err,
        });
        msg.retry({ delaySeconds: Math.min(60, 2 ** msg.attempts) });
      }
    }),
  );
}

async function giveUp(env: Env, body: WebhookSendMessage) {
  log.error("webhook delivery given up: its attempt could not be run", {
    delivery_id: body.delivery_id,
  });
  await createDb(env.DB)
    .update(webhookDeliveries)
    .set({ status: "gave_up", nextAttemptAt: null, updatedAt: Date.now() })
    .where(
      and(
        eq(webhookDeliveries.id, body.delivery_id),
        eq(webhookDeliveries.teamId, body.team_id),
        eq(webhookDeliveries.attemptCount, body.attempt),
      ),
    );
}
