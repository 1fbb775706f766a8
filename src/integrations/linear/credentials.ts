import { AppError } from "../../lib/errors.ts";
import { z } from "zod";

const webhookSecret = z
  .string()
  .min(
    16,
    "must be at least 16 characters (Linear signs deliveries with it; a short one is guessable)",
  )
  .describe("the signing secret of the Linear webhook (or of the OAuth app's webhook)");

const oauthClient = {
  client_id: z.string().min(1).optional().describe("the OAuth app's client id (a later install)"),
  client_secret: z.string().min(1).optional().describe("the OAuth app's client secret"),
};

/** A personal API key (`lin_api_…`), sent bare as `Authorization: <key>`: activities are its user's. */
export const LinearApiKeyCredentials = z.object({
  api_key: z.string().min(1),
  webhook_secret: webhookSecret,
  ...oauthClient,
});

/** An OAuth access token (an app installed with `actor=app`): `Authorization: Bearer <token>`. */
export const LinearOAuthCredentials = z.object({
  access_token: z.string().min(1),
  /** kept from the install for a later refresh (apps made since 2025-10 get 24-hour tokens) */
  refresh_token: z.string().min(1).optional(),
  /** when `access_token` ends (ms since the epoch); it is refreshed a little before (token.ts) */
  expires_at: z.number().int().positive().optional(),
  webhook_secret: webhookSecret,
  ...oauthClient,
});

/**
 * An agent app waiting for its OAuth install (src/integrations/linear/oauth.ts): the client id and
 * secret, no token yet; the install's callback adds `access_token`.
 */
export const LinearPendingInstallCredentials = z.object({
  webhook_secret: webhookSecret,
  client_id: z.string().min(1).describe("the OAuth app's client id"),
  client_secret: z.string().min(1).describe("the OAuth app's client secret"),
});

/**
 * What a Linear integration authenticates with: an API key or OAuth token (or, until the install
 * completes, the OAuth app's client), and the webhook secret.
 */
export const LinearCredentials = z.union([
  LinearApiKeyCredentials,
  LinearOAuthCredentials,
  LinearPendingInstallCredentials,
]);
export type LinearCredentials = z.infer<typeof LinearCredentials>;

/** What a GraphQL call authenticates with: the credentials, or a token the install just got. */
export type LinearAuth = LinearCredentials | { access_token: string };

/**
 * The `Authorization` header value: a personal key goes bare, an OAuth token as a bearer. Throws
 * `integration_not_configured` before the OAuth install has stored a token.
 */
export function authorizationOf(c: LinearAuth): string {
  if ("api_key" in c) return c.api_key;
  if ("access_token" in c) return `Bearer ${c.access_token}`;
  throw new AppError(
    "integration_not_configured",
    "the Linear integration has no api_key or access_token yet: open an install link (`POST /api/v1/integrations/{uid}/install-link`) or save an api_key (PATCH /api/v1/integrations/{uid})",
  );
}
