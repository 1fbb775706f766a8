import { z } from "zod";

const webhookSecret = z
  .string()
  .min(16, "must be at least 16 characters (GitHub signs with it; a short one is guessable)")
  .describe("the secret GitHub signs deliveries with (the App's or the hook's webhook secret)");
const previousSecret = webhookSecret
  .optional()
  .describe("the secret before a rotation, accepted too until it is removed");

/** A GitHub App: the bot acts as `<slug>[bot]` with the installation's permissions (recommended). */
export const GitHubAppCredentials = z.object({
  app_id: z
    .union([z.string().min(1), z.number().int().positive()])
    .transform(String)
    .describe("the App's numeric id or its client id (`Iv…`): the JWT's `iss`"),
  private_key: z
    .string()
    .refine(
      (k) => /-----BEGIN (RSA )?PRIVATE KEY-----/.test(k),
      "must be the App's private key PEM (-----BEGIN RSA PRIVATE KEY----- as GitHub gives it)",
    ),
  installation_id: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("omit to use each delivery's `installation.id`"),
  webhook_secret: webhookSecret,
  previous_webhook_secret: previousSecret,
});

/** A token (fine-grained or classic PAT): comments appear as its user. */
export const GitHubTokenCredentials = z.object({
  token: z.string().min(1),
  webhook_secret: webhookSecret,
  previous_webhook_secret: previousSecret,
});

/** What a GitHub integration authenticates with: an App or a token, and the webhook secret. */
export const GitHubCredentials = z.union([GitHubAppCredentials, GitHubTokenCredentials]);
export type GitHubCredentials = z.infer<typeof GitHubCredentials>;
export type GitHubAppCredentials = z.infer<typeof GitHubAppCredentials>;

export const isApp = (c: GitHubCredentials): c is GitHubAppCredentials => "app_id" in c;
