import type { IntegrationRecord } from "../kind.ts";
import { parseRecord } from "../parse-record.ts";
import { GitHubCredentials } from "./credentials.ts";
import { GitHubSettings } from "./settings.ts";

export type GitHubIntegration = IntegrationRecord<GitHubCredentials, GitHubSettings>;

/**
 * The integration with its credentials and settings parsed again (defaults of settings added
 * since they were saved; lower-cased repositories, trimmed bases).
 */
export const githubRecord = (integration: IntegrationRecord<unknown, unknown>): GitHubIntegration =>
  parseRecord(integration, {
    credentials: GitHubCredentials,
    settings: GitHubSettings,
    label: "GitHub",
  });
