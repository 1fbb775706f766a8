import type { WebhookItem } from "@ambit/sdk";

/** "Enabled", or "Disabled" with the platform's reason when it disabled the endpoint itself. */
export const webhookStatus = (w: WebhookItem) =>
  w.enabled ? "Enabled" : `Disabled${w.disabled_reason ? `: ${w.disabled_reason}` : ""}`;
