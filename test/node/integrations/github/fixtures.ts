// Realistic minimal GitHub webhook payloads (fields of integrations reference §1.5–1.6) and an
// integration record, for the GitHub kind's tests.
import { generateKeyPairSync } from "node:crypto";
import { GitHubSettings } from "../../../../src/integrations/github/settings.ts";
import type { GitHubIntegration } from "../../../../src/integrations/github/record.ts";
import type { GitHubCredentials } from "../../../../src/integrations/github/credentials.ts";

export const SECRET = "a-webhook-secret-of-some-length";
export const APP_ID = "123456";
export const PAT = "ghp_faketoken0123456789";
export const INSTALLATION = 4242;

/** An App key pair as GitHub hands it out: the private key in PKCS#1 PEM. */
export function appKeys() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKey, publicKey };
}

let ids = 0;
export function integration(input: {
  apiBaseUrl: string;
  privateKey?: string;
  settings?: Record<string, unknown>;
  runDefaults?: GitHubIntegration["runDefaults"];
  teamId?: string;
}): GitHubIntegration {
  const credentials: GitHubCredentials = input.privateKey
    ? { app_id: APP_ID, private_key: input.privateKey, webhook_secret: SECRET }
    : { token: PAT, webhook_secret: SECRET };
  return {
    id: `int_${++ids}`,
    teamId: input.teamId ?? "team_1",
    type: "github",
    name: "github",
    enabled: true,
    credentials,
    settings: GitHubSettings.parse({
      api_base_url: input.apiBaseUrl,
      ...input.settings,
      triggers: {
        mention: true,
        label: true,
        pull_request: true,
        ci_failure: true,
        ...(input.settings?.triggers as object),
      },
    }),
    runDefaults: input.runDefaults ?? {},
  };
}

export const repository = {
  id: 1,
  name: "api",
  full_name: "acme/api",
  owner: { login: "acme", id: 10, type: "Organization" },
  private: true,
  html_url: "https://github.com/acme/api",
  default_branch: "main",
};
const envelope = (action: string, sender = "octocat") => ({
  action,
  sender: { login: sender, id: 2, type: "User" },
  repository,
  installation: { id: INSTALLATION, node_id: "MDIz" },
  organization: { login: "acme", id: 10 },
});
const issue = (
  o: { number?: number; pr?: boolean; comments?: number; labels?: string[] } = {},
) => ({
  number: o.number ?? 42,
  title: "Login fails on Safari",
  body: "Steps: open /login in Safari 17 and submit.",
  state: "open",
  labels: (o.labels ?? ["bug"]).map((name) => ({ id: 1, name })),
  user: { login: "reporter", type: "User" },
  comments: o.comments ?? 0,
  html_url: `https://github.com/acme/api/${o.pr ? "pull" : "issues"}/${o.number ?? 42}`,
  author_association: "NONE",
  ...(o.pr
    ? { pull_request: { url: "u", html_url: "h", diff_url: "d", patch_url: "p", merged_at: null } }
    : {}),
});

export function issueComment(o: {
  body?: string;
  association?: string;
  login?: string;
  action?: string;
  pr?: boolean;
  comments?: number;
  number?: number;
  commentId?: number;
  viaApp?: number;
}) {
  const login = o.login ?? "maintainer";
  return {
    ...envelope(o.action ?? "created", login),
    issue: issue(o),
    comment: {
      id: o.commentId ?? 9001,
      body: o.body ?? "@ambit please fix this",
      user: { login, id: 3, type: "User" },
      author_association: o.association ?? "MEMBER",
      html_url: `https://github.com/acme/api/issues/${o.number ?? 42}#issuecomment-${o.commentId ?? 9001}`,
      performed_via_github_app: o.viaApp ? { id: o.viaApp, slug: "ambit" } : null,
    },
  };
}

export const issueLabeled = (label: string, action = "labeled") => ({
  ...envelope(action, "triager"),
  issue: issue({ labels: ["bug", label] }),
  label: { id: 7, name: label },
});

export function pullRequest(
  o: { action?: string; draft?: boolean; ref?: string; association?: string } = {},
) {
  return {
    ...envelope(o.action ?? "opened", "contributor"),
    number: 7,
    pull_request: {
      number: 7,
      title: "Speed up login",
      body: "Caches the session lookup.",
      draft: o.draft ?? false,
      state: "open",
      html_url: "https://github.com/acme/api/pull/7",
      user: { login: "contributor", type: "User" },
      author_association: o.association ?? "COLLABORATOR",
      labels: [],
      comments: 0,
      head: {
        ref: o.ref ?? "speed-login",
        sha: "abc",
        label: "acme:speed-login",
        repo: repository,
      },
      base: { ref: "main", sha: "def", repo: repository },
    },
  };
}

export function workflowRun(
  o: { conclusion?: string; branch?: string | null; prs?: number[]; fork?: boolean } = {},
) {
  return {
    ...envelope("completed", "ghost"),
    workflow_run: {
      id: 555,
      name: "CI",
      event: "push",
      status: "completed",
      conclusion: o.conclusion ?? "failure",
      head_branch: o.branch === undefined ? "main" : o.branch,
      head_sha: "abc",
      html_url: "https://github.com/acme/api/actions/runs/555",
      head_repository: { full_name: o.fork ? "stranger/api" : "acme/api" },
      pull_requests: (o.prs ?? []).map((number) => ({
        number,
        head: { ref: "x" },
        base: { ref: "main" },
      })),
    },
    workflow: { id: 1, name: "CI", path: ".github/workflows/ci.yml" },
  };
}

export function checkSuite(o: { slug?: string; conclusion?: string } = {}) {
  return {
    ...envelope("completed", "ghost"),
    check_suite: {
      id: 777,
      head_branch: "main",
      head_sha: "abc",
      status: "completed",
      conclusion: o.conclusion ?? "failure",
      app: { id: 9, slug: o.slug ?? "circleci-checks" },
      pull_requests: [],
    },
  };
}
