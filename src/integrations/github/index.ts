import type { IntegrationKind } from "../kind.ts";
import { GitHubCredentials } from "./credentials.ts";
import { decideGitHub } from "./decide.ts";
import { reportToGitHub } from "./report.ts";
import { GitHubSettings } from "./settings.ts";
import { verifyGitHubDelivery } from "./verify.ts";

/** The `github` integration kind (README.md in this folder): deliveries in, comments back. */
export const githubKind: IntegrationKind<GitHubCredentials, GitHubSettings> = {
  type: "github",
  credentials: GitHubCredentials,
  settings: GitHubSettings,
  verify: (input) => verifyGitHubDelivery(input),
  decide: ({ integration, delivery }) => decideGitHub({ integration, delivery }),
  report: (input) => reportToGitHub(input),
};

export { GitHubCredentials, GitHubSettings };
export { threadKey } from "./thread.ts";
