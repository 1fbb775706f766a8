import { getConfig } from "../../env.ts";
import type { OAuthDescriptor } from "../oauth.ts";
import { slackClient } from "./web-api.ts";

/** The bot scopes Ambit asks for (docs/integrations.md#slack says why each). */
export const SLACK_SCOPES = [
  "app_mentions:read",
  "chat:write",
  "im:history",
  "commands",
  "users:read",
  "users:read.email",
  "channels:history",
  "groups:history",
];

/** Slack's OAuth v2 install: the authorize page, then `oauth.v2.access` for the bot token. */
export const slackOAuth: OAuthDescriptor = {
  authorizeUrl: () => "https://slack.com/oauth/v2/authorize",
  scopes: SLACK_SCOPES,
  client: (c) => ({
    id: typeof c.client_id === "string" ? c.client_id : undefined,
    secret: typeof c.client_secret === "string" ? c.client_secret : undefined,
  }),
  async exchange({ env, code, redirectUri, client, fetch }) {
    // oauth.v2.access takes the client credentials in the form, not a bearer token
    const api = slackClient(getConfig(env).SLACK_API_URL, "", fetch);
    const r = await api.call<{ access_token: string; bot_user_id?: string }>("oauth.v2.access", {
      code,
      redirect_uri: redirectUri,
      client_id: client.id,
      client_secret: client.secret,
    });
    return {
      credentials: { bot_token: r.access_token },
      ...(r.bot_user_id ? { settings: { bot_user_id: r.bot_user_id } } : {}),
    };
  },
};
