import { z } from "zod";

/**
 * What a Slack integration authenticates with: the app's signing secret (checks every request
 * Slack sends) and the bot token (`xoxb-`, for the Web API). The bot token comes from the OAuth
 * install (`client_id` + `client_secret`, src/integrations/oauth.ts) or is pasted in.
 */
export const SlackCredentials = z.object({
  signing_secret: z
    .string()
    .min(16, "must be the app's signing secret (Basic Information → App Credentials)")
    .describe(
      "the secret Slack signs requests with (not the bot token, not the verification token)",
    ),
  bot_token: z
    .string()
    .regex(
      /^xox[bp]-/,
      "must be a Slack token (xoxb-…, OAuth & Permissions → Bot User OAuth Token)",
    )
    .optional()
    .describe("omit when installing with OAuth: the install stores it"),
  client_id: z.string().min(1).optional().describe("the app's client id, for the OAuth install"),
  client_secret: z
    .string()
    .min(1)
    .optional()
    .describe("the app's client secret, for the OAuth install"),
});
export type SlackCredentials = z.infer<typeof SlackCredentials>;
