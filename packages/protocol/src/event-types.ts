// The platform's event types as a plain list: lifecycle.ts's `PlatformEventType` is made from it,
// and the console imports it alone (no zod in its bundle) for a webhook's event picker.

export const PLATFORM_EVENT_TYPES = [
  "run.created",
  "run.state_changed",
  "run.completed",
  "run.followup",
  "artifact.created",
  "schedule.spawn_failed",
  "integration.delivery_failed",
] as const;
