// The integration types and delivery outcomes as plain lists: integrations.ts makes its enums from
// them, and the console imports them alone (no zod in its bundle) for its filters and forms.

/** The kinds of integration this server knows. */
export const INTEGRATION_TYPES = ["github", "webhook", "slack", "linear"] as const;

/** What became of one delivery an integration received. */
export const DELIVERY_OUTCOMES = [
  "received",
  "run_created",
  "followup_sent",
  /** a Slack Cancel button cancelled the thread's run */
  "run_cancelled",
  "ignored",
  "rejected",
  "failed",
] as const;
