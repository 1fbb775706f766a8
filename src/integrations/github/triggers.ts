import type { GitHubCredentials } from "./credentials.ts";
import { readMarker } from "./comment-marker.ts";
import { mentionRequest } from "./mention.ts";
import {
  CheckSuiteEvent,
  Envelope,
  IssueCommentEvent,
  IssuesEvent,
  PullRequestEvent,
  WorkflowRunEvent,
} from "./payload.ts";
import type { TriggerName } from "./prompt.ts";
import { type GitHubSettings, repoMatches } from "./settings.ts";

/** Branches the runner opens pull requests from (packages/runner `ambit/<run id>`): acting on their CI or review would loop. */
export const AGENT_BRANCH_PREFIX = "ambit/";

/** What a delivery asks for once it matched a trigger: everything the prompt and thread need. */
export type Trigger = {
  name: TriggerName;
  /** `<event>.<action>`, e.g. `issue_comment.created` */
  event: string;
  repo: { owner: string; name: string; fullName: string };
  installationId?: number;
  /** the issue or pull request (absent for a CI failure on a branch without one) */
  number?: number;
  isPullRequest: boolean;
  title: string;
  body: string;
  labels: string[];
  /** who triggered it */
  author: string;
  /** the origin's page: the comment, issue, pull request or workflow run */
  url: string;
  comment?: { id: number; request: string };
  /** how many comments the thread has (to fetch its last page) */
  commentCount?: number;
  branch?: string;
  ci?: { workflowRunId: number } | { checkSuiteId: number };
};

export type Match = { ok: true; trigger: Trigger } | { ok: false; reason: string };
const no = (reason: string): Match => ({ ok: false, reason });

/** Which trigger a delivery matches, or why it starts nothing. Pure: no network. */
export function matchTrigger(
  event: string,
  payload: unknown,
  settings: GitHubSettings,
  credentials: GitHubCredentials,
): Match {
  if (event === "ping") return no("ping: GitHub checking the webhook");
  const env = Envelope.safeParse(payload);
  if (!env.success || !env.data.repository)
    return no(`unknown event: ${event} without a repository`);
  const { repository, sender, action, installation } = env.data;
  const label = `${event}.${action ?? ""}`;
  if (settings.bot_login && sender?.login.toLowerCase() === settings.bot_login.toLowerCase())
    return no(`own event: ${label} by ${sender.login}, this integration's bot`);
  if (
    settings.repositories.length &&
    !settings.repositories.some((r) => repoMatches(r, repository.full_name))
  )
    return no(`filter: ${repository.full_name} is not in the integration's repositories`);
  const base = {
    event: label,
    repo: { owner: repository.owner.login, name: repository.name, fullName: repository.full_name },
    installationId: installation?.id,
  };
  const match = MATCHERS[event];
  if (!match) return no(`unknown event: ${label} starts nothing`);
  return match(payload, settings, credentials, base);
}

type Base = Pick<Trigger, "event" | "repo" | "installationId">;
type Matcher = (p: unknown, s: GitHubSettings, c: GitHubCredentials, base: Base) => Match;

const permitted = (s: GitHubSettings, login: string, association: string) =>
  (s.allowed_associations as string[]).includes(association)
    ? null
    : no(
        `not permitted: ${login} is ${association} on the repository; only ${s.allowed_associations.join(", ")} may start a run (it holds the team's secrets)`,
      );

const malformed = (base: Base) => no(`unknown event: ${base.event} payload lacks fields it needs`);

const MATCHERS: Record<string, Matcher> = {
  issue_comment(payload, s, c, base) {
    const parsed = IssueCommentEvent.safeParse(payload);
    if (!parsed.success) return malformed(base);
    const { action, issue, comment } = parsed.data;
    if (
      readMarker(comment.body) ||
      ("app_id" in c && String(comment.performed_via_github_app?.id) === c.app_id)
    )
      return no("own event: the integration's own comment");
    if (action !== "created") return no(`filter: ${base.event} (only new comments trigger)`);
    if (!s.triggers.mention) return no("filter: the mention trigger is off");
    const request = mentionRequest(comment.body ?? "", s.handle);
    if (request === null) return no(`filter: the comment does not mention ${s.handle}`);
    const refused = permitted(s, comment.user.login, comment.author_association);
    if (refused) return refused;
    return {
      ok: true,
      trigger: {
        ...base,
        name: "mention",
        number: issue.number,
        isPullRequest: !!issue.pull_request,
        title: issue.title,
        body: issue.body ?? "",
        labels: issue.labels.map((l) => l.name),
        author: comment.user.login,
        url: comment.html_url,
        comment: { id: comment.id, request },
        commentCount: issue.comments,
      },
    };
  },

  issues(payload, s, _c, base) {
    const parsed = IssuesEvent.safeParse(payload);
    if (!parsed.success) return malformed(base);
    const { action, issue, label, sender } = parsed.data;
    if (action !== "labeled") return no(`filter: ${base.event} (only labeled triggers)`);
    if (!s.triggers.label) return no("filter: the label trigger is off");
    const wanted = s.labels.map((l) => l.toLowerCase());
    if (!label || !wanted.includes(label.name.toLowerCase()))
      return no(`filter: label ${label?.name ?? "(none)"} is not one of ${s.labels.join(", ")}`);
    // adding a label needs triage access to the repository: the labeler is trusted as such
    return {
      ok: true,
      trigger: {
        ...base,
        name: "label",
        number: issue.number,
        isPullRequest: false,
        title: issue.title,
        body: issue.body ?? "",
        labels: issue.labels.map((l) => l.name),
        author: sender?.login ?? "someone",
        url: issue.html_url,
        commentCount: issue.comments,
      },
    };
  },

  pull_request(payload, s, _c, base) {
    const parsed = PullRequestEvent.safeParse(payload);
    if (!parsed.success) return malformed(base);
    const { action, number, pull_request: pr } = parsed.data;
    if (!["opened", "synchronize", "reopened", "ready_for_review"].includes(action ?? ""))
      return no(`filter: ${base.event} (only opened, synchronize, reopened, ready_for_review)`);
    if (!s.triggers.pull_request) return no("filter: the pull_request trigger is off");
    if (pr.draft) return no("filter: the pull request is a draft");
    if (pr.head.ref.startsWith(AGENT_BRANCH_PREFIX))
      return no(`own event: ${pr.head.ref} is a branch the agent opened`);
    const refused = permitted(s, pr.user.login, pr.author_association);
    if (refused) return refused;
    return {
      ok: true,
      trigger: {
        ...base,
        name: "pull_request",
        number,
        isPullRequest: true,
        title: pr.title,
        body: pr.body ?? "",
        labels: pr.labels.map((l) => l.name),
        author: pr.user.login,
        url: pr.html_url,
        commentCount: pr.comments,
        branch: pr.head.ref,
      },
    };
  },

  workflow_run(payload, s, _c, base) {
    const parsed = WorkflowRunEvent.safeParse(payload);
    if (!parsed.success) return malformed(base);
    const { action, workflow_run: run } = parsed.data;
    const refused = ciRefusal(base, s, action, run.conclusion, run.head_branch);
    if (refused) return refused;
    if (run.head_repository && run.head_repository.full_name !== base.repo.fullName)
      return no(`not permitted: the workflow ran on a fork (${run.head_repository.full_name})`);
    return ciTrigger(
      base,
      run.head_branch ?? "",
      run.pull_requests[0]?.number,
      run.html_url,
      {
        workflowRunId: run.id,
      },
      `${run.name ?? "a workflow"}`,
    );
  },

  check_suite(payload, s, _c, base) {
    const parsed = CheckSuiteEvent.safeParse(payload);
    if (!parsed.success) return malformed(base);
    const { action, check_suite: suite } = parsed.data;
    if (suite.app?.slug === "github-actions")
      return no("filter: GitHub Actions failures are taken from workflow_run, not its check suite");
    const refused = ciRefusal(base, s, action, suite.conclusion, suite.head_branch);
    if (refused) return refused;
    const number = suite.pull_requests[0]?.number;
    const page = `${s.web_base_url}/${base.repo.fullName}/commit/${suite.head_sha ?? ""}`;
    return ciTrigger(
      base,
      suite.head_branch ?? "",
      number,
      page,
      { checkSuiteId: suite.id },
      `the checks of ${suite.app?.slug ?? "an app"}`,
    );
  },
};

function ciRefusal(
  base: Base,
  s: GitHubSettings,
  action: string | undefined,
  conclusion: string | null | undefined,
  branch: string | null | undefined,
): Match | null {
  if (action !== "completed") return no(`filter: ${base.event} (only completed)`);
  if (!s.triggers.ci_failure) return no("filter: the ci_failure trigger is off");
  if (conclusion !== "failure" && conclusion !== "timed_out")
    return no(`filter: concluded ${conclusion ?? "without a conclusion"}, not failure`);
  // a fork's pull request has no head branch here; its code is not the repository's to fix
  if (!branch) return no("not permitted: the failure is on a fork's branch");
  if (branch.startsWith(AGENT_BRANCH_PREFIX))
    return no(`own event: ${branch} is a branch the agent opened`);
  return null;
}

function ciTrigger(
  base: Base,
  branch: string,
  number: number | undefined,
  url: string,
  ci: Trigger["ci"],
  what: string,
): Match {
  return {
    ok: true,
    trigger: {
      ...base,
      name: "ci_failure",
      number,
      isPullRequest: number !== undefined,
      title: `${what} failed on ${branch}`,
      body: "",
      labels: [],
      author: "CI",
      url,
      branch,
      ci,
    },
  };
}
