import { getConfig } from "../../env.ts";
import { log } from "../../lib/log.ts";
import type { Decision } from "../kind.ts";
import { redeemLinkCode } from "../user-links.ts";
import { memberOf } from "./member.ts";
import type { SlackEvent, SlackPayload } from "./payload.ts";
import { gatherThread, renderPrompt } from "./prompt.ts";
import { botToken, type SlackIntegration } from "./record.ts";
import {
  CANCEL_ACTION,
  renderAccessHelp,
  renderBadCode,
  renderLinked,
  renderRequest,
} from "./render.ts";
import { environmentFor } from "./settings.ts";
import { slackThread, threadKey } from "./thread.ts";
import { slackClient, type SlackClient } from "./web-api.ts";

const MAX_TITLE = 120;

type Input = {
  env: Env;
  integration: SlackIntegration;
  delivery: { id: string; senderId?: string; payload: unknown };
  threadHasRun: (key: string) => Promise<boolean>;
  fetcher?: typeof fetch;
};
type Ctx = Input & {
  client: SlackClient;
  say: (channel: string, user: string, text: string) => Promise<void>;
};

/**
 * What a verified Slack delivery asks for. Events: a mention (or a DM) from a member starts a run
 * on its thread, or is a follow-up when the thread has one; a reply in such a thread without a
 * mention (`message.channels`, if subscribed) is a follow-up too. The `/ambit` command: `link
 * <code>`, or a run in the channel. The Cancel button: `cancel` as the member who clicked.
 * Anyone Ambit cannot match to a member is told how to get access (ephemeral) and ignored.
 */
export async function decideSlack(input: Input): Promise<Decision> {
  const { env, integration } = input;
  const revoked = revocationOf(input.delivery.payload as SlackPayload);
  if (revoked) return { kind: "disable", reason: revoked };
  const client = slackClient(getConfig(env).SLACK_API_URL, botToken(integration), input.fetcher);
  const say = async (channel: string, user: string, text: string) => {
    try {
      await client.call("chat.postEphemeral", { channel, user, text });
    } catch (err) {
      log.warn("slack: an ephemeral message could not be posted", { channel, error: err });
    }
  };
  const ctx: Ctx = { ...input, client, say };
  const p = input.delivery.payload as SlackPayload;
  if (p.type === "event_callback" && "event" in p) return onEvent(ctx, p);
  if (p.type === "slash_command" && "command" in p) return onCommand(ctx, p);
  if (p.type === "block_actions" && "actions" in p) return onButton(ctx, p);
  return { kind: "ignore", reason: `a '${p.type}' request starts nothing` };
}

type EventPayload = Extract<SlackPayload, { type: "event_callback" }>;

const REINSTALL =
  "install the app again (`POST /api/v1/integrations/{uid}/install-link`, or paste a new bot token), then enable the integration (PATCH enabled: true)";

/** Why the integration can no longer act, when Slack says so (the app removed, its bot token revoked). */
function revocationOf(p: SlackPayload): string | null {
  if (p.type !== "event_callback" || !("event" in p)) return null;
  if (p.event.type === "app_uninstalled")
    return `Slack says the app was uninstalled from workspace ${p.team_id}; ${REINSTALL}`;
  if (p.event.type === "tokens_revoked" && p.event.tokens?.bot?.length)
    return `Slack says the app's bot token was revoked in workspace ${p.team_id}; ${REINSTALL}`;
  return null;
}

async function onEvent(ctx: Ctx, p: EventPayload): Promise<Decision> {
  const e = p.event;
  const bot = ctx.integration.settings.bot_user_id ?? p.authorizations?.[0]?.user_id;
  // our own replies come back as events: never answer them (nor any bot's)
  if (e.bot_id || (e.subtype && e.subtype !== "file_share") || !e.user || e.user === bot)
    return { kind: "ignore", reason: "a bot's message, an edit or a deletion: nothing to do" };
  if (e.type !== "app_mention" && e.type !== "message")
    return { kind: "ignore", reason: `the '${e.type}' event starts nothing` };
  const dm = e.channel_type === "im";
  const threadTs = e.thread_ts ?? e.ts;
  const key = threadKey(p.team_id, e.channel, threadTs);
  const hasRun = await ctx.threadHasRun(key);
  if (e.type === "message" && !dm) {
    // a channel message (message.channels): only a reply in a run's thread, and not a mention
    // (its app_mention delivers it)
    if (!e.thread_ts || !hasRun || (bot && e.text?.includes(`<@${bot}>`)))
      return { kind: "ignore", reason: "a channel message outside a run's thread" };
  }
  const member = await memberOf(ctx.env, ctx.integration, ctx.client, e.user);
  if (!member) return refuse(ctx, e.channel, e.user);
  const text = stripMention(e.text ?? "", bot);
  const sender = `slack:${e.user}`;
  if (hasRun)
    return {
      kind: "followup",
      thread: slackThread(p.team_id, e.channel, threadTs),
      message: text,
      sender,
      actAs: member,
    };
  return startRun(ctx, { team: p.team_id, event: e, threadTs, text, member });
}

async function startRun(
  ctx: Ctx,
  at: { team: string; event: SlackEvent; threadTs: string; text: string; member: string },
): Promise<Decision> {
  const { integration } = ctx;
  const { channel } = at.event;
  const messages = await gatherThread(ctx.client, channel, at.threadTs, integration.settings);
  const { permalink } = await ctx.client.call<{ permalink?: string }>("chat.getPermalink", {
    channel,
    message_ts: at.threadTs,
  });
  const environment = environmentFor(integration.settings, channel);
  const sender = `slack:${at.event.user}`;
  return {
    kind: "start_run",
    source: "SLACK",
    request: {
      title: titleOf(at.text),
      prompt: renderPrompt(integration.promptTemplate, at.text, messages),
      metadata: { slack_team: at.team, slack_channel: channel, slack_thread_ts: at.threadTs },
    },
    thread: slackThread(at.team, channel, at.threadTs, permalink),
    triggerConfig: {
      ...integration.runDefaults,
      ...(environment ? { environment_id: environment } : {}),
    },
    followup: { message: at.text, sender },
    actAs: at.member,
  };
}

type CommandPayload = Extract<SlackPayload, { type: "slash_command" }>;

async function onCommand(ctx: Ctx, p: CommandPayload): Promise<Decision> {
  const text = p.text.trim();
  const command = ctx.integration.settings.command;
  const link = /^link\s+(\S+)$/i.exec(text);
  if (link) {
    const ref = { env: ctx.env, teamId: ctx.integration.teamId, integrationId: ctx.integration.id };
    const member = await redeemLinkCode(ref, link[1], p.user_id);
    await ctx.say(p.channel_id, p.user_id, member ? renderLinked() : renderBadCode(command));
    return {
      kind: "ignore",
      reason: member
        ? `linked Slack user ${p.user_id} to member ${member}`
        : `not permitted: Slack user ${p.user_id} typed an unknown or expired link code`,
    };
  }
  const member = await memberOf(ctx.env, ctx.integration, ctx.client, p.user_id);
  if (!member) return refuse(ctx, p.channel_id, p.user_id);
  // a command has no thread: the request, posted as the app, starts the run's thread
  const posted = await ctx.client.call<{ ts: string }>("chat.postMessage", {
    channel: p.channel_id,
    text: renderRequest(p.user_id, text),
  });
  const event: SlackEvent = {
    type: "command",
    user: p.user_id,
    ts: posted.ts,
    channel: p.channel_id,
  };
  return startRun(ctx, { team: p.team_id, event, threadTs: posted.ts, text, member });
}

type ButtonPayload = Extract<SlackPayload, { type: "block_actions" }>;

async function onButton(ctx: Ctx, p: ButtonPayload): Promise<Decision> {
  const action = p.actions.find((a) => a.action_id === CANCEL_ACTION);
  const channel = p.channel?.id;
  const team = p.team?.id;
  if (!action?.value || !channel || !team)
    return { kind: "ignore", reason: "a button that asks for nothing" };
  const member = await memberOf(ctx.env, ctx.integration, ctx.client, p.user.id);
  if (!member) return refuse(ctx, channel, p.user.id);
  return {
    kind: "cancel",
    thread: slackThread(team, channel, action.value),
    actAs: member,
    refused: (message) => ctx.say(channel, p.user.id, message),
  };
}

async function refuse(ctx: Ctx, channel: string, user: string): Promise<Decision> {
  await ctx.say(channel, user, renderAccessHelp(ctx.integration.settings.command));
  return {
    kind: "ignore",
    reason: `not permitted: Slack user ${user} is not linked to a member of the team`,
  };
}

/** The request without the app's mention (`<@U…>`): the bot's, else a leading one. */
function stripMention(text: string, bot: string | undefined) {
  const out = bot ? text.replaceAll(`<@${bot}>`, "") : text.replace(/^\s*<@[A-Z0-9]+>/, "");
  return out.trim();
}

function titleOf(text: string) {
  const first = text.split("\n")[0].trim() || "Run from Slack";
  return first.length > MAX_TITLE ? `${first.slice(0, MAX_TITLE - 1)}…` : first;
}
