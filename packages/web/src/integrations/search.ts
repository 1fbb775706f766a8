// The search parameters of the integration screens, parsed by the router (router.tsx) without
// loading the screens' own chunk.
import type { IntegrationDeliveryItem, IntegrationItem } from "@ambit/protocol";

export type IntegrationType = IntegrationItem["type"];
export type Outcome = IntegrationDeliveryItem["outcome"];

export const INTEGRATION_TYPES: IntegrationType[] = ["webhook", "github", "slack", "linear"];
export const OUTCOMES: Outcome[] = [
  "received",
  "run_created",
  "followup_sent",
  "run_cancelled",
  "ignored",
  "rejected",
  "failed",
];

/** `/integrations/new?type=slack`: the type the form starts with. */
export type NewIntegrationSearch = { type?: IntegrationType };
export const parseNewIntegrationSearch = (s: Record<string, unknown>): NewIntegrationSearch =>
  INTEGRATION_TYPES.includes(s.type as IntegrationType) ? { type: s.type as IntegrationType } : {};

/** `/integrations/$uid?outcome=ignored`: the deliveries shown. */
export type IntegrationSearch = { outcome?: Outcome };
export const parseIntegrationSearch = (s: Record<string, unknown>): IntegrationSearch =>
  OUTCOMES.includes(s.outcome as Outcome) ? { outcome: s.outcome as Outcome } : {};
