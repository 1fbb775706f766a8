import { AppError } from "../../lib/errors.ts";
import type { IntegrationRecord } from "../kind.ts";
import { SlackCredentials } from "./credentials.ts";
import { SlackSettings } from "./settings.ts";

export type SlackIntegration = IntegrationRecord<SlackCredentials, SlackSettings>;

/** The integration with credentials and settings parsed again (a setting added since has its default). */
export function slackRecord(integration: IntegrationRecord<unknown, unknown>): SlackIntegration {
  const credentials = SlackCredentials.safeParse(integration.credentials);
  const settings = SlackSettings.safeParse(integration.settings);
  if (!credentials.success || !settings.success)
    throw new AppError(
      "integration_not_configured",
      `The Slack integration's ${credentials.success ? "settings" : "credentials"} no longer validate; save them again (PATCH /api/v1/integrations/${integration.id}).`,
    );
  return { ...integration, credentials: credentials.data, settings: settings.data };
}

/** The bot token, or a clear error: an integration created for the OAuth install is not installed yet. */
export function botToken(integration: SlackIntegration): string {
  const token = integration.credentials.bot_token;
  if (!token)
    throw new AppError(
      "integration_not_configured",
      `The Slack integration ${integration.id} has no bot token yet; finish the install (the link \`ambit integration create slack\` printed) or set credentials.bot_token.`,
    );
  return token;
}
