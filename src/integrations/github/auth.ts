import { AppError } from "../../lib/errors.ts";
import { isApp } from "./credentials.ts";
import { installationToken } from "./installation-token.ts";
import { type GitHubClient, githubClient } from "./rest.ts";
import type { GitHubIntegration } from "./record.ts";

/**
 * The token the integration acts with: the token as given, or the App's installation token (the
 * configured installation, else the one the delivery came from).
 */
export async function tokenFor(
  integration: GitHubIntegration,
  installationId: number | undefined,
  now = Date.now(),
): Promise<string> {
  const { credentials: c, settings } = integration;
  if (!isApp(c)) return c.token;
  const id = c.installation_id ?? installationId;
  if (!id)
    throw new AppError(
      "integration_not_configured",
      "The GitHub App's installation is unknown: the delivery has no `installation.id`; set `installation_id` in the integration's credentials.",
    );
  return installationToken({
    integrationId: integration.id,
    apiBaseUrl: settings.api_base_url,
    credentials: c,
    installationId: id,
    now,
  });
}

/** A REST client acting as the integration (`tokenFor`). */
export async function clientFor(
  integration: GitHubIntegration,
  installationId: number | undefined,
  now = Date.now(),
): Promise<GitHubClient> {
  const token = await tokenFor(integration, installationId, now);
  return githubClient(integration.settings.api_base_url, token);
}
