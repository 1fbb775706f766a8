import type { PlatformEventMessage } from "@ambit/protocol";
import { getConfig } from "../../env.ts";
import { versionOf } from "../report-version.ts";
import { readRunFacts } from "../run-facts.ts";
import type { Thread } from "../kind.ts";
import { botToken, type SlackIntegration } from "./record.ts";
import { renderFinal, renderQuestion, renderStatus, type RunView } from "./render.ts";
import type { SlackThreadState } from "./thread.ts";
import { slackClient } from "./web-api.ts";

const REPORTED = new Set(["run.created", "run.state_changed", "run.completed"]);

/**
 * Keeps a run's thread up to date: one status message (posted at the first event, then edited
 * with `chat.update`, never moved back by an older event), the question of a BLOCKED run and a
 * final reply with the outcome and pull request, each posted once. The state it returns (the
 * status message's `ts`, the versions shown) is what makes a repeated or retried event harmless.
 */
export async function reportToSlack(input: {
  env: Env;
  integration: SlackIntegration;
  thread: Thread;
  event: PlatformEventMessage;
  fetcher?: typeof fetch;
}): Promise<{ state: Record<string, unknown> } | undefined> {
  const { env, integration, event } = input;
  const state = input.thread.state as SlackThreadState | undefined;
  const runId = typeof event.data.run_id === "string" ? event.data.run_id : null;
  if (!REPORTED.has(event.type) || !runId || !state?.thread_ts) return;
  if (event.team_id !== integration.teamId) return;
  const version = versionOf(event);
  if ((state.version ?? 0) >= version) return;
  const config = getConfig(env);
  const client = slackClient(config.SLACK_API_URL, botToken(integration), input.fetcher);
  const ended = event.type === "run.completed";
  const facts = await readRunFacts(env.DB, integration.teamId, runId);
  const message = event.data.status_message as { message?: string } | undefined;
  const view: RunView = {
    runId,
    title: facts?.title ?? (typeof event.data.title === "string" ? event.data.title : undefined),
    state: typeof event.data.state === "string" ? event.data.state : "QUEUED",
    ...(config.PUBLIC_URL
      ? { runUrl: `${config.PUBLIC_URL.replace(/\/+$/, "")}/runs/${runId}` }
      : {}),
    statusMessage: message?.message ?? null,
    threadTs: state.thread_ts,
  };
  const next: SlackThreadState = { ...state };
  const status = renderStatus(view);
  const where = { channel: state.channel };
  if (state.message_ts)
    await client.call("chat.update", { ...where, ts: state.message_ts, ...status });
  else {
    const posted = await client.call<{ ts: string }>("chat.postMessage", {
      ...where,
      thread_ts: state.thread_ts,
      ...status,
    });
    next.message_ts = posted.ts;
  }
  next.version = version;
  // the replies that are news in themselves, each once (the version each was posted at)
  if (view.state === "BLOCKED" && view.statusMessage && (state.asked ?? 0) < version) {
    await client.call("chat.postMessage", {
      ...where,
      thread_ts: state.thread_ts,
      text: renderQuestion(view.statusMessage),
    });
    next.asked = version;
  }
  if (ended && (state.finished ?? 0) < version) {
    await client.call("chat.postMessage", {
      ...where,
      thread_ts: state.thread_ts,
      text: renderFinal(view, facts, event.at),
      unfurl_links: false,
    });
    next.finished = version;
  }
  return { state: next };
}
