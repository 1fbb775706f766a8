import type { InboundReply } from "../kind.ts";
import type { SlackPayload } from "./payload.ts";
import { renderAccepted, renderHelp } from "./render.ts";

const ephemeral = (text: string, record: boolean): InboundReply => ({
  contentType: "application/json",
  body: JSON.stringify({ response_type: "ephemeral", text }),
  record,
});

/**
 * What Slack gets back at once (within its 3 s): the URL check's challenge (nothing recorded);
 * the command's help (nothing recorded) or a short "on it"; an empty 200 for a button. Events
 * get the framework's 202.
 */
export function replyToSlack(payload: unknown): InboundReply | undefined {
  const p = payload as SlackPayload;
  if (p.type === "url_verification" && "challenge" in p)
    return {
      contentType: "application/json",
      body: JSON.stringify({ challenge: p.challenge }),
      record: false,
    };
  if (p.type === "slash_command" && "text" in p) {
    const text = p.text.trim();
    if (!text || /^help$/i.test(text)) return ephemeral(renderHelp(p.command), false);
    if (/^link\s/i.test(text)) return ephemeral("Linking your account…", true);
    return ephemeral(renderAccepted(), true);
  }
  if (p.type === "block_actions") return { contentType: "text/plain", body: "", record: true };
  return undefined;
}
