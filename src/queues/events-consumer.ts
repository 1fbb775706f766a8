import { PlatformEventMessage } from "@ambit/protocol";
import { reportToIntegrations } from "../integrations/report.ts";
import { log } from "../lib/log.ts";
import { fanOutEvent } from "../services/webhooks/fan-out.ts";

/**
 * Consumer of the `EVENTS` queue: each platform event goes back to the integration that started
 * its run, if any (src/integrations/report.ts: a GitHub comment edited, ...; it never throws, and
 * a kind's report is idempotent), and becomes one delivery per outbound webhook
 * of its team that subscribes to its type (src/services/webhooks/fan-out.ts), whose attempts the
 * `WEBHOOK_SENDS` consumer makes. Deliveries are unique per (webhook, event id), so an event
 * delivered again sends nothing twice. An event that keeps failing lands in the dead-letter queue,
 * whose consumer logs it: its deliveries were never made.
 */
export async function consumeEventsQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = PlatformEventMessage.safeParse(msg.body);
      if (!parsed.success) {
        log.warn("events queue: unknown message dropped", { queue: batch.queue, id: msg.id });
        return msg.ack();
      }
      const event = parsed.data;
      if (dead) {
        log.error("platform event dropped after every retry: its webhooks never heard of it", {
          event_id: event.id,
          team_id: event.team_id,
          type: event.type,
        });
        return msg.ack();
      }
      try {
        const [, fanOut] = await Promise.allSettled([
          reportToIntegrations(env, event),
          fanOutEvent(env, event),
        ]);
        if (fanOut.status === "rejected") throw fanOut.reason;
        msg.ack();
      } catch (err) {
        log.error("events queue: fan-out failed; will retry", {
          event_id: event.id,
          attempts: msg.attempts,
          error: err,
        });
        msg.retry({ delaySeconds: Math.min(60, 2 ** msg.attempts) });
      }
    }),
  );
}
