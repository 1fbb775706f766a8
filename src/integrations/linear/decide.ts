import { log } from "../../lib/log.ts";
import type { Decision } from "../kind.ts";
import { VendorRetryError } from "../vendor-retry.ts";
import { roleAtLeast } from "../../lib/roles.ts";
import { memberByEmail } from "../user-links.ts";
import type { LinearClient } from "./graphql.ts";
import { AgentSessionEvent } from "./payload.ts";
import { DEFAULT_TEMPLATE, promptValues, renderPrompt } from "./prompt.ts";
import {
  type ActivityContent,
  createActivity,
  fetchIssue,
  fetchUserEmail,
  type IssueContext,
} from "./queries.ts";
import type { LinearIntegration } from "./record.ts";
import { environmentFor } from "./settings.ts";
import { threadKey, threadOf } from "./thread.ts";

const MAX_TITLE = 500;

type Delivery = {
  id: string;
  senderId?: string;
  event: string;
  payload: unknown;
  receivedAt: number;
};

/**
 * What a verified Linear delivery asks for. An `AgentSessionEvent` `created` (the agent was
 * assigned or mentioned) by a team member starts a run, after a first `thought` in the session
 * (Linear wants one within 10 s); `prompted` is a follow-up to the session's run, or with the
 * `stop` signal a cancel. A Linear user who is no team member is told how to get access (an `error`
 * activity) and refused. Other events are ignored: only agent sessions start runs.
 */
export async function decideLinear(input: {
  env: Pick<Env, "DB">;
  integration: LinearIntegration;
  delivery: Delivery;
  client: LinearClient;
}): Promise<Decision> {
  const { integration, delivery, client } = input;
  const { settings } = integration;
  if (!delivery.event.startsWith("AgentSessionEvent"))
    return ignore(`unknown event: ${delivery.event} (only agent session events start runs)`);
  const parsed = AgentSessionEvent.safeParse(delivery.payload);
  if (!parsed.success) return ignore("unknown event: an AgentSessionEvent without its session");
  const e = parsed.data;
  const session = e.agentSession;
  const issue = session.issue;
  const teamKey = issue?.team?.key ?? undefined;
  const teamId = issue?.teamId ?? issue?.team?.id ?? undefined;
  if (settings.only_teams.length && !settings.only_teams.some((t) => t === teamKey || t === teamId))
    return ignore(`filter: team ${teamKey ?? teamId ?? "(unknown)"} is not in only_teams`);
  const activity = e.agentActivity;
  const userId =
    e.action === "created" ? (session.creatorId ?? session.creator?.id) : activity?.userId;
  if (userId && userId === settings.app_user_id) return ignore("own event: our own app user");
  if (e.action !== "created" && e.action !== "prompted")
    return ignore(`unknown event: AgentSessionEvent.${e.action}`);

  const post = (content: ActivityContent) => postQuietly(client, session.id, content);
  const knownEmail = e.action === "created" ? session.creator?.email : activity?.user?.email;
  const email = knownEmail ?? (userId ? await fetchUserEmail(client, userId) : null);
  // a viewer may not start runs: a run holds the team's secrets
  const found = email
    ? await memberByEmail({ env: input.env, teamId: integration.teamId }, email)
    : null;
  const member = found && roleAtLeast(found.role, "member") ? found : null;
  if (!member) {
    const who = userId ? `Linear user ${userId}` : "a session without a human creator";
    await post({
      type: "error",
      body: `I can only work for members of the Ambit team this workspace is connected to, and your Linear account's email is not one of them. ${settings.access_help}`,
    });
    return ignore(`not permitted: ${who} is not a member of the team (matched by email)`);
  }
  const sender = `linear:${userId}`;

  if (e.action === "prompted") {
    const thread = { key: threadKey(session.id) };
    if (activity?.signal === "stop")
      return {
        kind: "cancel",
        thread,
        actAs: member.userId,
        refused: (body) => post({ type: "error", body }),
      };
    const message = activity?.content?.body?.trim();
    if (!message) return ignore("filter: a prompt without text");
    return { kind: "followup", thread, message, sender };
  }

  // first, within Linear's 10 s: the session shows the agent at work while the run is made
  await post({
    type: "thought",
    body: `On it: starting a run for ${issue?.identifier ?? "this issue"}.`,
  });
  const context = await issueContext(client, e, settings.limits);
  const request =
    session.comment?.body?.trim() ||
    activity?.content?.body?.trim() ||
    `Work on ${context.identifier}.`;
  const template = settings.prompt ?? integration.promptTemplate ?? DEFAULT_TEMPLATE;
  const environment = environmentFor(settings, {
    teamKey: context.team?.key ?? teamKey,
    teamId: context.team?.id ?? teamId,
    projectId: context.project?.id ?? issue?.projectId ?? undefined,
  });
  const thread = threadOf({
    sessionId: session.id,
    url: context.url || session.url,
    issueId: context.id,
    identifier: context.identifier,
  });
  return {
    kind: "start_run",
    source: "LINEAR",
    request: {
      title: `${context.identifier}: ${context.title}`.slice(0, MAX_TITLE),
      prompt: renderPrompt(
        template,
        promptValues({
          issue: context,
          request,
          promptContext: e.promptContext,
          limits: settings.limits,
        }),
      ),
      metadata: {
        ticket_id: context.identifier,
        ticket_source: "linear",
        linear_session: session.id,
        linear_delivery: delivery.senderId ?? delivery.id,
      },
    },
    thread,
    triggerConfig: {
      ...integration.runDefaults,
      ...(environment ? { environment_id: environment } : {}),
    },
    ...(context.url
      ? {
          artifacts: [
            {
              artifact_type: "EXTERNAL_REFERENCE" as const,
              data: {
                reference_type: "linear_issue",
                url: context.url,
                title: `${context.identifier}: ${context.title}`.slice(0, 500),
                metadata: { identifier: context.identifier, agent_session: session.id },
              },
            },
          ],
        }
      : {}),
  };
}

const ignore = (reason: string): Decision => ({ kind: "ignore", reason });

/**
 * The issue as GraphQL tells it (labels and comments are not in the payload); when Linear is
 * down or rate-limited, what the payload carries, so an outage delays no run.
 */
async function issueContext(
  client: LinearClient,
  e: AgentSessionEvent,
  limits: { comments: number },
): Promise<IssueContext> {
  const issue = e.agentSession.issue;
  const id = issue?.id ?? e.agentSession.issueId;
  if (id)
    try {
      return await fetchIssue(client, id, limits.comments);
    } catch (err) {
      if (!(err instanceof VendorRetryError)) throw err;
      log.warn("linear: the issue could not be read; the payload's fields are used", {
        error: err,
      });
    }
  return {
    id: id ?? "",
    identifier: issue?.identifier ?? "issue",
    title: issue?.title ?? "",
    description: issue?.description ?? "",
    url: issue?.url ?? e.agentSession.url ?? "",
    team: issue?.team ? { id: issue.team.id, key: issue.team.key ?? "" } : null,
    project: issue?.projectId ? { id: issue.projectId } : null,
    labels: [],
    comments: (e.previousComments ?? []).map((c) => ({ author: "someone", body: c.body ?? "" })),
  };
}

/** An activity decide posts on its way; one Linear will not take now loses no run. */
async function postQuietly(client: LinearClient, sessionId: string, content: ActivityContent) {
  try {
    await createActivity(client, sessionId, content);
  } catch (err) {
    log.warn("linear: an activity could not be posted", {
      session: sessionId,
      type: content.type,
      error: err,
    });
  }
}
