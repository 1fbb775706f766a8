import { AppError } from "../../lib/errors.ts";
import type { PromptContext } from "./prompt.ts";
import type { GitHubClient, Text } from "./rest.ts";
import type { GitHubSettings } from "./settings.ts";
import type { Trigger } from "./triggers.ts";

type Limits = GitHubSettings["limits"];
type Comment = {
  id: number;
  body: string | null;
  user: { login: string } | null;
  author_association?: string;
};

/** Failing jobs whose logs go into a CI prompt: the first few, each with its share of the cap. */
export const MAX_FAILING_JOBS = 5;

/**
 * The prompt's context: the trigger's own fields, and from the API the thread's last comments,
 * the pull request's diff and the failing jobs' log tails, each cut to the integration's limits.
 * An optional piece GitHub will not give (a diff too large, a log expired) becomes a note;
 * refused credentials fail the delivery, since nothing else would work either.
 */
export async function gatherContext(
  client: GitHubClient,
  t: Trigger,
  limits: Limits,
): Promise<PromptContext> {
  const repo = `/repos/${t.repo.owner}/${t.repo.name}`;
  const [comments, diff, ciLog] = await Promise.all([
    t.number !== undefined && limits.comments > 0
      ? optional("comments", () => threadComments(client, repo, t, limits))
      : "",
    t.isPullRequest && t.number !== undefined && limits.diff_chars > 0
      ? optional("diff", () => pullDiff(client, repo, t.number as number, limits.diff_chars))
      : "",
    t.ci
      ? optional("CI log", () => ciLogs(client, repo, t.ci as NonNullable<Trigger["ci"]>, limits))
      : "",
  ]);
  return {
    repository: t.repo.fullName,
    kind: t.isPullRequest ? "Pull request" : "Issue",
    number: t.number === undefined ? "" : String(t.number),
    title: t.title,
    url: t.url,
    author: `@${t.author}`,
    body: cut(t.body, limits.comment_chars * 2),
    labels: t.labels.length ? t.labels.join(", ") : "none",
    comments,
    request: t.comment?.request ?? "",
    diff,
    ci_log: ciLog,
    branch: t.branch ?? "",
    event: t.event,
  };
}

async function optional(what: string, get: () => Promise<string>): Promise<string> {
  try {
    return await get();
  } catch (err) {
    if (err instanceof AppError && err.code !== "invalid_request" && err.code !== "not_authorized")
      throw err;
    return `(The ${what} could not be read from GitHub: ${err instanceof Error ? err.message : err})`;
  }
}

const cut = (s: string, max: number) =>
  s.length <= max ? s : `${s.slice(0, max)}\n…(${s.length - max} more characters left out)`;

async function threadComments(client: GitHubClient, repo: string, t: Trigger, limits: Limits) {
  const path = `${repo}/issues/${t.number}/comments`;
  const last = Math.max(1, Math.ceil((t.commentCount ?? 0) / 100));
  let list = await client.json<Comment[]>("GET", path, { query: { per_page: 100, page: last } });
  if (list.length < limits.comments && last > 1) {
    const before = await client.json<Comment[]>("GET", path, {
      query: { per_page: 100, page: last - 1 },
    });
    list = [...before, ...list];
  }
  const others = list.filter((c) => c.id !== t.comment?.id);
  const kept = others.slice(-limits.comments);
  const leftOut = (t.commentCount ?? others.length) - kept.length - (t.comment ? 1 : 0);
  if (!kept.length) return "";
  const lines = kept.map(
    (c) =>
      `@${c.user?.login ?? "ghost"}${c.author_association ? ` (${c.author_association})` : ""}: ${cut(c.body ?? "", limits.comment_chars)}`,
  );
  const head = leftOut > 0 ? `(${leftOut} earlier comments left out)\n\n` : "";
  return `Comments on the thread, oldest first:\n${head}${lines.join("\n\n")}`;
}

async function pullDiff(client: GitHubClient, repo: string, number: number, max: number) {
  const diff = await client.text(`${repo}/pulls/${number}`, {
    accept: "application/vnd.github.diff",
    max,
    keep: "head",
  });
  return `The pull request's diff${note(diff, "first")}:\n\`\`\`diff\n${diff.text}\n\`\`\``;
}

const note = (t: Text, which: "first" | "last") =>
  t.truncated ? ` (its ${which} ${t.text.length} characters; the rest is left out)` : "";

type Job = { id: number; name: string; conclusion: string | null };
type CheckRun = Job & {
  output?: { title?: string | null; summary?: string | null; text?: string | null };
};
const failed = (j: { conclusion: string | null }) =>
  j.conclusion === "failure" || j.conclusion === "timed_out";

async function ciLogs(
  client: GitHubClient,
  repo: string,
  ci: NonNullable<Trigger["ci"]>,
  limits: Limits,
) {
  if ("workflowRunId" in ci) {
    const { jobs } = await client.json<{ jobs: Job[] }>(
      "GET",
      `${repo}/actions/runs/${ci.workflowRunId}/jobs`,
      {
        query: { filter: "latest", per_page: 100 },
      },
    );
    const failing = jobs.filter(failed).slice(0, MAX_FAILING_JOBS);
    const share = Math.floor(limits.log_chars / Math.max(1, failing.length));
    const parts = await Promise.all(
      failing.map(async (job) => {
        const log = await optional(`log of ${job.name}`, async () => {
          const t = await client.text(`${repo}/actions/jobs/${job.id}/logs`, {
            max: share,
            keep: "tail",
          });
          return `${note(t, "last")}\n\`\`\`\n${t.text}\n\`\`\``;
        });
        return `Failing job "${job.name}"${log}`;
      }),
    );
    return parts.length ? parts.join("\n\n") : "(No failing job was found in the workflow run.)";
  }
  const { check_runs } = await client.json<{ check_runs: CheckRun[] }>(
    "GET",
    `${repo}/check-suites/${ci.checkSuiteId}/check-runs`,
    { query: { filter: "latest", per_page: 100 } },
  );
  const failing = check_runs.filter(failed).slice(0, MAX_FAILING_JOBS);
  const share = Math.floor(limits.log_chars / Math.max(1, failing.length));
  const parts = failing.map((run) => {
    const o = run.output ?? {};
    const text = [o.title, o.summary, o.text].filter(Boolean).join("\n\n");
    const tail = text.length > share ? `…${text.slice(-share)}` : text;
    return `Failing check "${run.name}":\n\`\`\`\n${tail}\n\`\`\``;
  });
  return parts.length ? parts.join("\n\n") : "(No failing check run was found in the check suite.)";
}
