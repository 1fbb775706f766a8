import { z } from "zod";
import { PageInfo, Timestamp } from "./common.ts";
import { WebhookEventType } from "./lifecycle.ts";

// Outbound webhooks: endpoints that hear of a team's platform events, signed per Standard Webhooks.

/** The event `POST /webhooks/{uid}/test` sends, whatever the endpoint subscribes to. */
export const WEBHOOK_TEST_EVENT = "webhook.test";

const Url = z
  .string()
  .trim()
  .max(2000)
  .url()
  .describe("where events are POSTed; https (http only where the platform allows it)");
const EventTypes = z
  .array(WebhookEventType)
  .min(1, "subscribe to at least one event type")
  .max(WebhookEventType.options.length)
  .transform((types) => [...new Set(types)]);
const Description = z.string().trim().max(500);

/** Body of `POST /webhooks`. */
export const CreateWebhookRequest = z.object({
  url: Url,
  event_types: EventTypes,
  description: Description.optional(),
  enabled: z.boolean().optional().describe("default true"),
});
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;

/** Body of `PATCH /webhooks/{uid}`: what is given changes. Enabling clears `disabled_reason`. */
export const UpdateWebhookRequest = z.object({
  url: Url.optional(),
  event_types: EventTypes.optional(),
  description: Description.nullable().optional(),
  enabled: z.boolean().optional(),
});
export type UpdateWebhookRequest = z.infer<typeof UpdateWebhookRequest>;

/** An endpoint as the API shows it: never its secret (shown once, by the create answer). */
export const WebhookItem = z.object({
  uid: z.string(),
  url: z.string(),
  event_types: z.array(WebhookEventType),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: z
    .string()
    .nullable()
    .describe("why the platform disabled it (410 Gone, failing for days); null otherwise"),
  failing_since: Timestamp.nullable().describe(
    "first of the failed attempts since the last success",
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: z.string(),
  updated_by: z.string(),
});
export type WebhookItem = z.infer<typeof WebhookItem>;

/** Answer of `POST /webhooks`: the endpoint and its signing secret, shown this once. */
export const CreateWebhookResponse = WebhookItem.extend({
  secret: z
    .string()
    .describe("the `whsec_` signing secret (Standard Webhooks); shown only in this response"),
});
export type CreateWebhookResponse = z.infer<typeof CreateWebhookResponse>;

export const ListWebhooksResponse = z.object({ webhooks: z.array(WebhookItem) });
export type ListWebhooksResponse = z.infer<typeof ListWebhooksResponse>;

/** One HTTP attempt of a delivery. */
export const WebhookAttemptItem = z.object({
  at: Timestamp,
  http_status: z.number().int().nullable().describe("null: no answer (see error)"),
  error: z.string().nullable().describe("network error, timeout or refused destination"),
  latency_ms: z.number().int(),
  response_body: z.string().nullable().describe("the first 1 KB of the answer"),
});
export type WebhookAttemptItem = z.infer<typeof WebhookAttemptItem>;

export const WebhookDeliveryStatus = z.enum(["pending", "succeeded", "failed", "gave_up"]);
export type WebhookDeliveryStatus = z.infer<typeof WebhookDeliveryStatus>;

/** One event sent to one endpoint, with its attempts (newest first). */
export const WebhookDeliveryItem = z.object({
  id: z.string(),
  webhook_uid: z.string(),
  event_id: z.string().describe("the `webhook-id` header of every attempt"),
  event_type: z.string(),
  status: WebhookDeliveryStatus.describe(
    "failed: the last attempt failed and another is scheduled (next_attempt_at)",
  ),
  attempt_count: z.number().int(),
  next_attempt_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  payload: z.unknown().describe("the body sent: {type, timestamp, data}"),
  attempts: z.array(WebhookAttemptItem),
});
export type WebhookDeliveryItem = z.infer<typeof WebhookDeliveryItem>;

export const ListWebhookDeliveriesQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional().describe("default 20"),
  status: WebhookDeliveryStatus.optional(),
});
export type ListWebhookDeliveriesQuery = z.infer<typeof ListWebhookDeliveriesQuery>;

export const ListWebhookDeliveriesResponse = z.object({
  deliveries: z.array(WebhookDeliveryItem),
  page_info: PageInfo,
});
export type ListWebhookDeliveriesResponse = z.infer<typeof ListWebhookDeliveriesResponse>;

/** Message on the `WEBHOOK_SENDS` queue: make attempt `attempt` (0-based, over all series). */
export const WebhookSendMessage = z.object({
  delivery_id: z.string(),
  team_id: z.string(),
  attempt: z.number().int().min(0),
});
export type WebhookSendMessage = z.infer<typeof WebhookSendMessage>;
