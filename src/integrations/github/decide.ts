import { log } from "../../lib/log.ts";
import type { Decision } from "../kind.ts";
import { clientFor } from "./auth.ts";
import type { GitHubIntegration } from "./record.ts";
import { gatherContext } from "./context.ts";
import { DEFAULT_TEMPLATES, renderPrompt } from "./prompt.ts";
import type { GitHubClient } from "./rest.ts";
import { environmentFor } from "./settings.ts";
import { type Trigger, matchTrigger } from "./triggers.ts";
import { threadOf } from "./thread.ts";

const MAX_TITLE = 500;

/**
 * What a verified GitHub delivery asks for: `ignore` with the reason, or `start_run` with the
 * prompt, thread, metadata and environment. A mention on a thread that already has a run is a
 * `followup` when `threadHasRun` says so (the framework knows its threads); without it, the
 * mention's `start_run` carries `followup` for the framework to send instead. The triggering
 * comment gets an "eyes" reaction once decided on.
 */
export async function decideGitHub(input: {
  integration: GitHubIntegration;
  delivery: { id: string; senderId?: string; event: string; payload: unknown; receivedAt: number };
  threadHasRun?: (key: string) => Promise<boolean>;
  now?: number;
}): Promise<Decision> {
  const { integration, delivery } = input;
  const { settings, credentials } = integration;
  const match = matchTrigger(delivery.event, delivery.payload, settings, credentials);
  if (!match.ok) return { kind: "ignore", reason: match.reason };
  const t = match.trigger;
  const thread = threadOf(t, delivery.receivedAt);
  const client = await clientFor(integration, t.installationId, input.now);
  const followup = t.comment
    ? { message: t.comment.request, sender: `github:${t.author}` }
    : undefined;
  if (t.comment && followup && (await input.threadHasRun?.(thread.key))) {
    await react(client, t, t.comment.id);
    return { kind: "followup", thread, ...followup };
  }
  const context = await gatherContext(client, t, settings.limits);
  // the trigger's own template, else the integration's one (`prompt_template`), else ours
  const template =
    settings.prompts[t.name] ?? integration.promptTemplate ?? DEFAULT_TEMPLATES[t.name];
  const environment = environmentFor(settings, t.repo.fullName);
  if (t.comment) await react(client, t, t.comment.id);
  return {
    kind: "start_run",
    source: "GITHUB_WEBHOOK",
    request: {
      title: titleOf(t).slice(0, MAX_TITLE),
      prompt: renderPrompt(template, context, delivery.payload),
      // GitHub's delivery GUID, as its delivery log shows it (ours is `ambit.integration_delivery`)
      metadata: metadataOf(t, delivery.senderId ?? delivery.id),
    },
    thread,
    triggerConfig: {
      ...integration.runDefaults,
      ...(environment ? { environment_id: environment } : {}),
    },
    ...(followup ? { followup } : {}),
  };
}

function titleOf(t: Trigger): string {
  const where = t.number === undefined ? t.repo.fullName : `${t.repo.fullName}#${t.number}`;
  if (t.name === "pull_request") return `Review ${where}: ${t.title}`;
  if (t.name === "ci_failure") return `Fix CI in ${where}: ${t.title}`;
  return `${where}: ${t.title}`;
}

/** Run metadata (integrations reference §7a), so runs can be listed by repository and thread. */
function metadataOf(t: Trigger, deliveryId: string): Record<string, string> {
  const m: Record<string, string> = {
    github_repository: t.repo.fullName,
    github_event: t.event,
    github_delivery: deliveryId,
  };
  if (t.number !== undefined) m[t.isPullRequest ? "github_pr" : "github_issue"] = String(t.number);
  if (t.branch) m.github_branch = t.branch.slice(0, 256);
  return m;
}

/** The "seen" signal on the triggering comment; a failure to react never loses the run. */
async function react(client: GitHubClient, t: Trigger, commentId: number) {
  const path = `/repos/${t.repo.owner}/${t.repo.name}/issues/comments/${commentId}/reactions`;
  try {
    await client.json("POST", path, { body: { content: "eyes" } });
  } catch (err) {
    log.warn("github reaction failed", { path, error: err });
  }
}
