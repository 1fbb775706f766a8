import type { SlackSettings } from "./settings.ts";
import type { SlackClient } from "./web-api.ts";

export type ThreadMessage = { user?: string; bot_id?: string; text?: string; ts: string };

/** The default prompt: the request, then the thread it came from as context. */
export const DEFAULT_TEMPLATE =
  "{{request}}\n\nThe Slack thread this came from, oldest first:\n{{thread}}";

/**
 * The thread's messages (`conversations.replies`, one page, the newest `thread_messages`): the
 * run's context. Fetched once per run (Slack limits this method hard for unlisted apps).
 */
export async function gatherThread(
  client: SlackClient,
  channel: string,
  threadTs: string,
  settings: SlackSettings,
): Promise<ThreadMessage[]> {
  const { messages } = await client.call<{ messages?: ThreadMessage[] }>("conversations.replies", {
    channel,
    ts: threadTs,
    limit: Math.min(200, settings.thread_messages),
  });
  return (messages ?? []).slice(-settings.thread_messages);
}

/** `{{request}}` and `{{thread}}` in the integration's template (else the default) filled in. */
export function renderPrompt(
  template: string | null | undefined,
  request: string,
  messages: ThreadMessage[],
): string {
  const thread = messages
    .map((m) => `${m.user ? `<@${m.user}>` : m.bot_id ? "(a bot)" : "(someone)"}: ${m.text ?? ""}`)
    .join("\n");
  return (template ?? DEFAULT_TEMPLATE)
    .replaceAll("{{request}}", request)
    .replaceAll("{{thread}}", thread);
}
