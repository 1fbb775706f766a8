// The search parameters of the integration screens, parsed by the router (router.tsx) without
// loading the screens' own chunk.
import { DELIVERY_OUTCOMES, INTEGRATION_TYPES } from "@ambit/protocol/integration-enums";

export { DELIVERY_OUTCOMES, INTEGRATION_TYPES };
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];
export type Outcome = (typeof DELIVERY_OUTCOMES)[number];

const isOneOf = <T extends string>(list: readonly T[], v: unknown): v is T => list.includes(v as T);

/** `/integrations/new?type=slack`: the type the form starts with. */
export type NewIntegrationSearch = { type?: IntegrationType };
export const parseNewIntegrationSearch = (s: Record<string, unknown>): NewIntegrationSearch =>
  isOneOf(INTEGRATION_TYPES, s.type) ? { type: s.type } : {};

/** `/integrations/$uid?outcome=ignored`: the deliveries shown. */
export type IntegrationSearch = { outcome?: Outcome };
export const parseIntegrationSearch = (s: Record<string, unknown>): IntegrationSearch =>
  isOneOf(DELIVERY_OUTCOMES, s.outcome) ? { outcome: s.outcome } : {};
