import type {
  WebhookEventType,
  WebhookAttemptItem,
  WebhookDeliveryItem,
  WebhookItem,
} from "@ambit/protocol";
import type { webhookAttempts, webhookDeliveries, webhooks } from "../../db/schema.ts";
import { iso, isoOrNull } from "../../lib/time.ts";

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

/** What the API shows of an endpoint: everything but its sealed secret. */
export function toWebhookItem(row: WebhookRow): WebhookItem {
  return {
    uid: row.id,
    url: row.url,
    event_types: row.eventTypes as WebhookEventType[],
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    failing_since: isoOrNull(row.failingSince),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    created_by: row.createdBy,
    updated_by: row.updatedBy,
  };
}

export function toAttemptItem(row: AttemptRow): WebhookAttemptItem {
  return {
    at: iso(row.at),
    http_status: row.httpStatus,
    error: row.error,
    latency_ms: row.latencyMs,
    response_body: row.responseBody,
  };
}

export function toDeliveryItem(row: DeliveryRow, attempts: AttemptRow[]): WebhookDeliveryItem {
  return {
    id: row.id,
    webhook_uid: row.webhookId,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status as WebhookDeliveryItem["status"],
    attempt_count: row.attemptCount,
    next_attempt_at: isoOrNull(row.nextAttemptAt),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    payload: JSON.parse(row.payload),
    attempts: attempts.map(toAttemptItem),
  };
}
