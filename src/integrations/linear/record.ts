import type { IntegrationRecord } from "../kind.ts";
import { parseRecord } from "../parse-record.ts";
import { LinearCredentials } from "./credentials.ts";
import { LinearSettings } from "./settings.ts";

export type LinearIntegration = IntegrationRecord<LinearCredentials, LinearSettings>;

/** The integration with credentials and settings parsed again (defaults of settings added since) */
export const linearRecord = (integration: IntegrationRecord<unknown, unknown>): LinearIntegration =>
  parseRecord(integration, {
    credentials: LinearCredentials,
    settings: LinearSettings,
    label: "Linear",
  });
