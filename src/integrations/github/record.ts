import { AppError } from "../../lib/errors.ts";
import type { IntegrationRecord } from "../kind.ts";
import { GitHubCredentials } from "./credentials.ts";
import { GitHubSettings } from "./settings.ts";

export type GitHubIntegration = IntegrationRecord<GitHubCredentials, GitHubSettings>;

/**
 * The integration with its credentials and settings parsed again: stored ones were checked when
 * written, but a setting added since then has no value there until this fills in its default.
 * Parsing is idempotent (defaults, lower-cased repositories, trimmed bases).
 */
export function githubRecord(integration: IntegrationRecord<unknown, unknown>): GitHubIntegration {
  const credentials = GitHubCredentials.safeParse(integration.credentials);
  const settings = GitHubSettings.safeParse(integration.settings);
  if (!credentials.success || !settings.success)
    throw new AppError(
      "integration_not_configured",
      `The GitHub integration's ${credentials.success ? "settings" : "credentials"} no longer validate; save them again (PATCH /api/v1/integrations/${integration.id}).`,
    );
  return { ...integration, credentials: credentials.data, settings: settings.data };
}
