import { getConfig } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import type { OAuthDescriptor } from "../oauth.ts";
import { linearClient } from "./graphql.ts";
import { type LinearTokenAnswer, tokenFields } from "./token.ts";

/**
 * The scopes of the agent app: `read` and `write` (read issues, post activities), and the two
 * that make the app a workspace member people can delegate issues to and @mention.
 */
export const LINEAR_SCOPES = ["read", "write", "app:assignable", "app:mentionable"];

/**
 * Linear's OAuth install as an agent app (`actor=app`): the authorize page under the operator's
 * `LINEAR_OAUTH_URL`, the code traded at `<LINEAR_API_URL>/oauth/token`, then `viewer { id }`
 * with the new token: the app user's id in that workspace, kept as `app_user_id` so the agent
 * ignores its own events.
 */
export const linearOAuth: OAuthDescriptor = {
  authorizeUrl: (env) => `${getConfig(env).LINEAR_OAUTH_URL}/oauth/authorize`,
  scopes: LINEAR_SCOPES,
  scopeSeparator: ",",
  params: { actor: "app", response_type: "code" },
  client: (c) => ({
    id: typeof c.client_id === "string" ? c.client_id : undefined,
    secret: typeof c.client_secret === "string" ? c.client_secret : undefined,
  }),
  async exchange({ env, code, redirectUri, client, fetch: doFetch = fetch }) {
    const apiUrl = getConfig(env).LINEAR_API_URL;
    const res = await doFetch(`${apiUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        client_id: client.id,
        client_secret: client.secret,
      }),
    }).catch((err) => {
      throw new AppError("invalid_request", `Linear did not answer the install: ${String(err)}`);
    });
    const got = (await res.json().catch(() => null)) as LinearTokenAnswer | null;
    if (!res.ok || !got?.access_token)
      throw new AppError(
        "invalid_request",
        `Linear refused the install's code (HTTP ${res.status}${got?.error ? `: ${got.error}` : ""}); check the app's client id and secret and its callback URL, then open a new install link`,
      );
    const viewer = await linearClient({
      apiUrl,
      credentials: { access_token: got.access_token },
      fetch: doFetch,
    }).request<{ viewer: { id: string } }>("query Viewer { viewer { id } }");
    return {
      credentials: tokenFields(got, Date.now()),
      settings: { app_user_id: viewer.viewer.id },
    };
  },
};
