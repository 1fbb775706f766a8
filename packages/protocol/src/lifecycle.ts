import { z } from "zod";
import { PLATFORM_EVENT_TYPES } from "./event-types.ts";

/**
 * The platform's own events, as outbound webhooks and integrations hear of them. Each is sent once
 * to the `EVENTS` queue when it happens; its `id` is made then and never again, so a redelivered
 * queue message, a retried webhook and a resend all carry the same `webhook-id`.
 */
export const PlatformEventType = z.enum(PLATFORM_EVENT_TYPES);
export type PlatformEventType = z.infer<typeof PlatformEventType>;

/** The platform events an outbound webhook may subscribe to: all but the internal ones. */
export const WebhookEventType = PlatformEventType.exclude(["run.progress"]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** Message on the `EVENTS` queue: one platform event of one team. */
export const PlatformEventMessage = z.object({
  /** `evt_` + a UUIDv7: the Standard Webhooks `webhook-id` of every delivery of this event */
  id: z.string(),
  team_id: z.string(),
  type: PlatformEventType,
  /** when it happened (ms) */
  at: z.number().int(),
  /**
   * What happened. Run events: `{ run_id, state, previous_state?, source, title }` and, by type,
   * `status_message`, `followup` (`{ message, sender }`), `artifact` (the ArtifactItem). Others:
   * `{ schedule_id, error }`, `{ integration_id, delivery_id, error }`, `budget.threshold`:
   * `{ budget, member_id?, run_id?, threshold, limit_usd, spent_usd, period_start, resets_at }`.
   * Never a secret's value.
   */
  data: z.record(z.string(), z.unknown()),
});
export type PlatformEventMessage = z.infer<typeof PlatformEventMessage>;

/**
 * Message on the `EVENTS` queue carrying the events of one change of a run, in the order they
 * happened (a report that ends a run: its `run.state_changed` events and `run.completed`): one
 * message rather than one per event. Each event keeps its own `id`; the consumer takes them apart.
 */
export const PlatformEventsMessage = z.object({ events: z.array(PlatformEventMessage).min(1) });
export type PlatformEventsMessage = z.infer<typeof PlatformEventsMessage>;
