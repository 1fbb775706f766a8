import { AppError } from "../../lib/errors.ts";
import type { IntegrationRecord } from "../kind.ts";
import { LinearCredentials } from "./credentials.ts";
import { LinearSettings } from "./settings.ts";

export type LinearIntegration = IntegrationRecord<LinearCredentials, LinearSettings>;

/** The integration with credentials and settings parsed again (defaults of settings added since) */
export function linearRecord(integration: IntegrationRecord<unknown, unknown>): LinearIntegration {
  const credentials = LinearCredentials.safeParse(integration.credentials);
  const settings = LinearSettings.safeParse(integration.settings);
  if (!credentials.success || !settings.success)
    throw new AppError(
      "integration_not_configured",
      `The Linear integration's ${credentials.success ? "settings" : "credentials"} no longer validate; save them again (PATCH /api/v1/integrations/${integration.id}).`,
    );
  return { ...integration, credentials: credentials.data, settings: settings.data };
}
