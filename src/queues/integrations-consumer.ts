import { IntegrationDeliveryMessage } from "@ambit/protocol";
import { log } from "../lib/log.ts";
import { payloadKey } from "../services/integrations/payloads.ts";
import {
  processDelivery,
  recordFailure,
  storePayload,
} from "../services/integrations/process-delivery.ts";
import { eachConcurrently, parsedMessages } from "./each-message.ts";

/** Deliveries processed at once per batch: enough to overlap the D1, R2 and sender round trips. */
const CONCURRENCY = 10;

/**
 * Consumer of the `INTEGRATIONS` queue: processes each recorded delivery (`processDelivery`).
 * A message that keeps failing lands in the dead-letter queue, whose consumer records the delivery
 * as `failed` (and emits `integration.delivery_failed`).
 */
export async function consumeIntegrationsQueue(
  batch: MessageBatch<unknown>,
  env: Env,
): Promise<void> {
  const valid = parsedMessages(batch, IntegrationDeliveryMessage);
  if (batch.queue.endsWith("-dlq")) {
    for (const { msg, body } of valid) {
      // a payload only the message held: kept, so the delivery can be redelivered
      if (body.payload !== undefined)
        await storePayload(
          env,
          payloadKey(body.team_id, body.integration_id, body.delivery_id),
          body.payload,
        ).catch((err) =>
          log.error("integrations: a dead delivery's payload was lost", { error: err }),
        );
      await recordFailure(
        env,
        { id: body.delivery_id, teamId: body.team_id, integrationId: body.integration_id },
        "the delivery could not be processed after several attempts; redeliver it to try again",
      );
      msg.ack();
    }
    return;
  }
  await eachConcurrently(valid, CONCURRENCY, async ({ msg, body }) => {
    try {
      const result = await processDelivery(env, body);
      if (result.outcome === "failed")
        log.warn("integration delivery failed", {
          delivery_id: body.delivery_id,
          error: result.reason,
        });
      msg.ack();
    } catch (err) {
      log.error("integrations queue: processing failed; will retry", {
        delivery_id: body.delivery_id,
        attempts: msg.attempts,
        error: err,
      });
      msg.retry({ delaySeconds: Math.min(30, 2 ** msg.attempts) });
    }
  });
}
