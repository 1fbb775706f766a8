import { z } from "zod";
import { Role, Timestamp } from "./common.ts";

/** `POST /auth/sign-in`: a user API key becomes a web session (a cookie). */
export const SignInRequest = z.object({
  api_key: z
    .string()
    .min(1)
    .max(200)
    .describe("a user's API key (`ambit_…`); a service account's key is refused"),
});
export type SignInRequest = z.infer<typeof SignInRequest>;

/** `GET /me`: who the caller is, in which team, with what role now, and how they authenticated. */
export const Me = z.object({
  user: z
    .object({ uid: z.string(), name: z.string().nullable(), email: z.string() })
    .nullable()
    .describe("null for a service account"),
  team: z.object({ uid: z.string(), name: z.string() }),
  role: Role.describe("the role this credential acts with now (never above the member's role)"),
  personal: z
    .boolean()
    .describe(
      "whether it reaches the user's personal runs and secrets (not for a key someone else minted)",
    ),
  via: z.enum(["session", "api_key"]),
});
export type Me = z.infer<typeof Me>;

/** A web session of the caller (its token is never shown again: only its uid). */
export const WebSession = z.object({
  uid: z.string(),
  created_at: Timestamp,
  last_seen_at: Timestamp,
  expires_at: Timestamp.describe("when it ends at the latest; it ends sooner after 7 days unused"),
  user_agent: z.string().nullable(),
  current: z.boolean().describe("whether this request came with this session"),
});
export type WebSession = z.infer<typeof WebSession>;

export const ListWebSessionsResponse = z.object({ sessions: z.array(WebSession) });
export type ListWebSessionsResponse = z.infer<typeof ListWebSessionsResponse>;
