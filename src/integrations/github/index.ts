import type { IntegrationKind } from "../kind.ts";
import { GitHubCredentials } from "./credentials.ts";
import { decideGitHub } from "./decide.ts";
import { githubRecord } from "./record.ts";
import { reportToGitHub } from "./report.ts";
import { GitHubSettings } from "./settings.ts";
import { verifyGitHubDelivery } from "./verify.ts";

/** The `github` integration kind (README.md in this folder): deliveries in, comments back. */
export const githubKind: IntegrationKind<GitHubCredentials, GitHubSettings> = {
  type: "github",
  credentials: GitHubCredentials,
  settings: GitHubSettings,
  async verify({ headers, body, credentials }) {
    const parsed = GitHubCredentials.safeParse(credentials);
    if (!parsed.success) return { ok: false, status: 401, reason: "credentials do not validate" };
    return verifyGitHubDelivery({ headers, body, credentials: parsed.data });
  },
  decide: async ({ integration, delivery }) =>
    decideGitHub({ integration: githubRecord(integration), delivery }),
  report: async ({ env, integration, thread, event }) =>
    reportToGitHub({ env, integration: githubRecord(integration), thread, event }),
};

export { GitHubCredentials, GitHubSettings };
export { threadKey } from "./thread.ts";
