import type { IntegrationKind } from "../kind.ts";
import { tokenFor } from "./auth.ts";
import { GitHubCredentials } from "./credentials.ts";
import { decideGitHub } from "./decide.ts";
import { githubRecord } from "./record.ts";
import { reportToGitHub } from "./report.ts";
import { GitHubSettings } from "./settings.ts";
import type { GitHubThreadState } from "./thread.ts";
import { verifyGitHubDelivery } from "./verify.ts";

type ThreadHasRun = (env: Env, integrationId: string, threadKey: string) => Promise<boolean>;

/**
 * The `github` integration kind (README.md in this folder): deliveries in, comments back.
 * `threadHasRun` is how the framework tells it a thread already has a run (its thread table): a
 * mention there is then a `followup`. Without it a mention is always `start_run`, carrying the
 * `followup` the framework may send instead.
 */
export function createGitHubKind(
  options: { threadHasRun?: ThreadHasRun } = {},
): IntegrationKind<GitHubCredentials, GitHubSettings> {
  const { threadHasRun } = options;
  return {
    type: "github",
    credentials: GitHubCredentials,
    settings: GitHubSettings,
    async verify({ headers, body, credentials }) {
      const parsed = GitHubCredentials.safeParse(credentials);
      if (!parsed.success) return { ok: false, status: 401, reason: "credentials do not validate" };
      return verifyGitHubDelivery({ headers, body, credentials: parsed.data });
    },
    async decide({ env, integration, delivery }) {
      return decideGitHub({
        integration: githubRecord(integration),
        delivery,
        threadHasRun: threadHasRun && ((key) => threadHasRun(env, integration.id, key)),
      });
    },
    async report({ env, integration, thread, event }) {
      return reportToGitHub({ env, integration: githubRecord(integration), thread, event });
    },
    // the run pushes and opens its pull request as the integration (the App's installation)
    async runSecrets({ integration, thread }) {
      const state = thread.state as GitHubThreadState | undefined;
      const token = await tokenFor(githubRecord(integration), state?.installation_id);
      return [{ name: "GITHUB_TOKEN", value: token }];
    },
  };
}

export const githubKind = createGitHubKind();

export { GitHubCredentials, GitHubSettings };
export { threadKey } from "./thread.ts";
