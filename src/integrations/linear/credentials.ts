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
  webhook_secret: webhookSecret,
  ...oauthClient,
});

/** What a Linear integration authenticates with: an API key or OAuth token, and the webhook secret. */
export const LinearCredentials = z.union([LinearApiKeyCredentials, LinearOAuthCredentials]);
export type LinearCredentials = z.infer<typeof LinearCredentials>;

/** The `Authorization` header value: a personal key goes bare, an OAuth token as a bearer. */
export const authorizationOf = (c: LinearCredentials) =>
  "api_key" in c ? c.api_key : `Bearer ${c.access_token}`;
