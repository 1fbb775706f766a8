import { z } from "zod";
import { Timestamp } from "./common.ts";

// Single sign-on for people (docs/sso.md) and `ambit login --web` (the device login).

const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/, "must be a domain like example.com");

/** Who single sign-on makes a member on first sign-in: never an owner. */
export const SsoRole = z.enum(["admin", "member", "viewer"]);
export type SsoRole = z.infer<typeof SsoRole>;

/** `PUT /team/sso`: the team's single sign-on, replaced whole (omit the secret to keep it). */
export const SetSsoConfigRequest = z.object({
  provider: z
    .enum(["oidc", "github"])
    .default("oidc")
    .describe("`oidc`: any OpenID Connect provider, by discovery; `github`: GitHub's OAuth app"),
  issuer: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional()
    .describe(
      "the OpenID provider's issuer (its `/.well-known/openid-configuration` is read); " +
        "`github`: https://github.com by default, or a GitHub Enterprise Server's URL",
    ),
  client_id: z.string().min(1).max(500),
  client_secret: z
    .string()
    .min(1)
    .max(2000)
    .optional()
    .describe("write-only; omit to keep the stored one (required the first time)"),
  allowed_domains: z
    .array(Domain)
    .min(1)
    .max(50)
    .describe("email domains whose people may sign in and join (their email verified)"),
  default_role: SsoRole.default("member").describe("the role of people joining on first sign-in"),
  required: z
    .boolean()
    .default(false)
    .describe(
      "the console accepts only single sign-on for this team (sign-in links and API-key sign-in " +
        "are refused; API keys keep working for the API)",
    ),
});
export type SetSsoConfigRequest = z.infer<typeof SetSsoConfigRequest>;

/** The team's single sign-on as the API shows it (never the client secret). */
export const SsoConfig = z.object({
  provider: z.enum(["oidc", "github"]),
  issuer: z.string(),
  client_id: z.string(),
  client_secret_set: z.literal(true),
  allowed_domains: z.array(z.string()),
  default_role: SsoRole,
  required: z.boolean(),
  redirect_uri: z.string().describe("register this callback URL with the provider"),
  sign_in_url: z.string().describe("where people of this team start signing in"),
  updated_at: Timestamp,
});
export type SsoConfig = z.infer<typeof SsoConfig>;

/** `POST /auth/device/code`: the CLI asks for a code pair. */
export const DeviceCodeRequest = z.object({
  client_name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe("the machine's name: the API key is named after it"),
});
export type DeviceCodeRequest = z.infer<typeof DeviceCodeRequest>;

export const DeviceCodeResponse = z.object({
  device_code: z.string().describe("the CLI's secret: it polls with it"),
  user_code: z.string().describe("shown to the person, like WDJB-MJHT"),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int().describe("seconds"),
  interval: z.number().int().describe("seconds between polls"),
});
export type DeviceCodeResponse = z.infer<typeof DeviceCodeResponse>;

/** `POST /auth/device/token`: the CLI's poll. */
export const DeviceTokenRequest = z.object({ device_code: z.string().min(1).max(200) });
export type DeviceTokenRequest = z.infer<typeof DeviceTokenRequest>;

export const DeviceTokenResponse = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("authorization_pending"),
    interval: z.number().int(),
  }),
  z.object({
    status: z.literal("slow_down"),
    interval: z.number().int().describe("the longer wait to keep from now on"),
  }),
  z.object({ status: z.literal("access_denied") }),
  z.object({ status: z.literal("expired_token") }),
  z.object({
    status: z.literal("approved"),
    api_key: z.string().describe("shown once"),
    key_uid: z.string(),
    key_name: z.string(),
  }),
]);
export type DeviceTokenResponse = z.infer<typeof DeviceTokenResponse>;

/** `GET /auth/device/{user_code}`: what the approval page shows. */
export const DeviceLogin = z.object({
  user_code: z.string(),
  client_name: z.string(),
  created_at: Timestamp,
  expires_at: Timestamp,
});
export type DeviceLogin = z.infer<typeof DeviceLogin>;

/** `POST /auth/device/{user_code}`: approve (a key is minted for the caller) or deny. */
export const DeviceDecision = z.object({ approve: z.boolean() });
export type DeviceDecision = z.infer<typeof DeviceDecision>;
