import type { IntegrationKind } from "./kind.ts";
import { webhookKind } from "./webhook/index.ts";

/**
 * Every kind of integration this server runs, by `type`. A new kind is one line here (and its
 * name in the protocol's `IntegrationType`).
 */
const KINDS: Partial<Record<IntegrationKind["type"], IntegrationKind>> = {
  webhook: webhookKind as IntegrationKind,
};

/** The kind of `type`, or undefined when this server does not run it (yet). */
export const kindOf = (type: string): IntegrationKind | undefined =>
  KINDS[type as IntegrationKind["type"]];
