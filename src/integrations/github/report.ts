import type { PlatformEventMessage } from "@ambit/protocol";
import { getConfig } from "../../env.ts";
import type { Thread } from "../kind.ts";
import { clientFor } from "./auth.ts";
import type { GitHubIntegration } from "./record.ts";
import { renderComment } from "./comment-body.ts";
import { readMarker } from "./comment-marker.ts";
import { versionOf } from "../report-version.ts";
import type { GitHubClient } from "./rest.ts";
import { readRunFacts } from "../run-facts.ts";
import type { GitHubThreadState } from "./thread.ts";

const REPORTED = new Set(["run.created", "run.state_changed", "run.completed"]);
/** pages of comments searched for the run's own (each 100, since the run began) */
const SEARCH_PAGES = 5;
/** the search starts this long before the delivery, for clock skew between us and GitHub */
const SKEW_MS = 5 * 60_000;

type Found = { id: number; version: number };
type IssueComment = { id: number; body?: string | null };

/**
 * Keeps one comment per run on its issue or pull request: written at the first event, edited at
 * each later one, never moved back by an event older than the one it shows (events may arrive out
 * of order), and left alone by a repeated event. The comment is found by its marker, so a lost
 * `comment_id` (or a repeated `run.created`) never posts a second one.
 */
export async function reportToGitHub(input: {
  env: Env;
  integration: GitHubIntegration;
  thread: Thread;
  event: PlatformEventMessage;
}): Promise<{ state: Record<string, unknown> } | undefined> {
  const { env, integration, event } = input;
  const state = input.thread.state as GitHubThreadState | undefined;
  const runId = typeof event.data.run_id === "string" ? event.data.run_id : null;
  if (!REPORTED.has(event.type) || !runId || !state?.issue_number) return;
  if (event.team_id !== integration.teamId) return;
  const [owner, name] = state.repository.split("/");
  const repo = `/repos/${owner}/${name}`;
  const client = await clientFor(integration, state.installation_id);

  const facts = await readRunFacts(env.DB, integration.teamId, runId);
  const runState = typeof event.data.state === "string" ? event.data.state : "QUEUED";
  const message = event.data.status_message as { message?: string } | undefined;
  const ended = event.type === "run.completed";
  const version = versionOf(event);
  const body = renderComment({
    runId,
    title: facts?.title ?? (typeof event.data.title === "string" ? event.data.title : undefined),
    state: runState,
    version,
    publicUrl: getConfig(env).PUBLIC_URL,
    // the run row may trail the event by a moment: the event's time is the end then
    durationMs:
      ended && facts ? (facts.endedAt ?? event.at) - (facts.startedAt ?? facts.createdAt) : null,
    pullRequestUrl: ended ? facts?.pullRequestUrl : null,
    statusMessage: message?.message ?? (ended ? facts?.statusMessage : null),
  });

  const found = await findComment(client, repo, state, runId);
  if (found && found.version >= version)
    return found.id === state.comment_id ? undefined : keep(state, found.id);
  if (found) {
    await client.json("PATCH", `${repo}/issues/comments/${found.id}`, { body: { body } });
    return found.id === state.comment_id ? undefined : keep(state, found.id);
  }
  const created = await client.json<IssueComment>(
    "POST",
    `${repo}/issues/${state.issue_number}/comments`,
    {
      body: { body },
    },
  );
  return keep(state, created.id);
}

const keep = (state: GitHubThreadState, commentId: number) => ({
  state: { ...state, comment_id: commentId },
});

async function findComment(
  client: GitHubClient,
  repo: string,
  state: GitHubThreadState,
  runId: string,
): Promise<Found | null> {
  const mine = (c: IssueComment) => {
    const m = readMarker(c.body);
    return m?.runId === runId ? { id: c.id, version: m.version } : null;
  };
  if (state.comment_id) {
    const known = await client
      .json<IssueComment>("GET", `${repo}/issues/comments/${state.comment_id}`)
      .catch(() => null); // deleted by someone: look for another, else write a new one
    const hit = known && mine(known);
    if (hit) return hit;
  }
  const began = Date.parse(state.since);
  const since = Number.isNaN(began) ? undefined : new Date(began - SKEW_MS).toISOString();
  for (let page = 1; page <= SEARCH_PAGES; page++) {
    const list = await client.json<IssueComment[]>(
      "GET",
      `${repo}/issues/${state.issue_number}/comments`,
      {
        query: { since, per_page: 100, page },
      },
    );
    for (const c of list) {
      const hit = mine(c);
      if (hit) return hit;
    }
    if (list.length < 100) break;
  }
  return null;
}
