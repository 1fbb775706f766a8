// What Slack posts to the inbound URL, read into one JSON shape (reference §3.2–3.4): Events API
// envelopes (JSON), slash commands (a form), interactivity (a form with one `payload` field).

/** An inner Events API event (the fields we read) */
export type SlackEvent = {
  type: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  bot_id?: string;
  subtype?: string;
  /** `tokens_revoked`: the revoked tokens' user ids, by kind */
  tokens?: { oauth?: string[]; bot?: string[] };
};

export type SlackPayload =
  | { type: "url_verification"; challenge: string }
  | {
      type: "event_callback";
      event_id: string;
      team_id: string;
      authorizations?: { user_id?: string }[];
      event: SlackEvent;
    }
  | {
      type: "slash_command";
      command: string;
      text: string;
      user_id: string;
      channel_id: string;
      team_id: string;
      trigger_id: string;
    }
  | {
      type: "block_actions";
      trigger_id?: string;
      user: { id: string };
      team?: { id: string };
      channel?: { id: string };
      actions: { action_id: string; value?: string; action_ts?: string }[];
    }
  | { type: string };

const FORM = "application/x-www-form-urlencoded";

/**
 * Slack's `ssl_check=1` probe to a slash command's URL, which may come unsigned (reference §3.1):
 * answered 200 with an empty body before the signature check, as Bolt does. Nothing recorded.
 */
export function sslCheckReply(headers: Headers, body: Uint8Array) {
  if (!(headers.get("content-type") ?? "").startsWith(FORM)) return undefined;
  const form = new URLSearchParams(new TextDecoder().decode(body));
  return form.get("ssl_check") === "1"
    ? { contentType: "text/plain", body: "", record: false }
    : undefined;
}

/** Reads a body: JSON, a slash command's form (as `type: "slash_command"`), or a button's `payload`. */
export function parseSlackBody(headers: Headers, body: Uint8Array): SlackPayload | null {
  const text = new TextDecoder().decode(body);
  if (!(headers.get("content-type") ?? "").startsWith(FORM)) return asObject(JSON.parse(text));
  const form = new URLSearchParams(text);
  const payload = form.get("payload");
  if (payload !== null) return asObject(JSON.parse(payload));
  if (!form.get("command")) return null;
  return { ...Object.fromEntries(form), type: "slash_command" } as SlackPayload;
}

const asObject = (v: unknown) =>
  v && typeof v === "object" && typeof (v as { type?: unknown }).type === "string"
    ? (v as SlackPayload)
    : null;

/** The event name deliveries are listed by: the inner event (`app_mention`, `message.im`), else the type. */
export function eventOf(p: SlackPayload): string {
  if (p.type !== "event_callback" || !("event" in p)) return p.type;
  const e = p.event;
  return e.type === "message" ? `message.${e.channel_type ?? "channel"}` : e.type;
}

/**
 * Slack's own id of a delivery, identical on its retries: `event_id` for events; a command's or a
 * click's `trigger_id` (neither is retried, the id still stops a replay within the window).
 */
export function senderIdOf(p: SlackPayload): string | null {
  if ("event_id" in p) return p.event_id;
  if ("trigger_id" in p && p.trigger_id) return p.trigger_id;
  if (p.type === "url_verification") return "url_verification";
  return null;
}
