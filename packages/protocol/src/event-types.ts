// The platform's event types as a plain list: lifecycle.ts's `PlatformEventType` is made from it,
// and the console imports it alone (no zod in its bundle) for a webhook's event picker, which offers
// the webhook ones.

export const PLATFORM_EVENT_TYPES = [
  "run.created",
  "run.state_changed",
  "run.completed",
  "run.followup",
  /**
   * internal, never sent to webhooks: the run's host reported a tool's result, so an integration
   * that mirrors the agent's actions (Linear) reads the run's log now, not at its next change
   */
  "run.progress",
  "artifact.created",
  "schedule.spawn_failed",
  "integration.delivery_failed",
  "budget.threshold",
] as const;

/** The events an outbound webhook may subscribe to: all but the internal ones. */
export const WEBHOOK_EVENT_TYPES = PLATFORM_EVENT_TYPES.filter(
  (t): t is Exclude<(typeof PLATFORM_EVENT_TYPES)[number], "run.progress"> => t !== "run.progress",
);
