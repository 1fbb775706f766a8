import { z } from "zod";

/** A Slack integration's maps and limits (shown to members, written by admins). */
export const SlackSettings = z.object({
  /** channel id (`C…`, `G…`, `D…`) → the environment its runs use */
  channels: z
    .record(z.string().regex(/^[CGD][A-Z0-9]+$/, "must be a Slack channel id"), z.string())
    .default({}),
  /** the environment of a run from a channel the map does not name (absent: the run defaults') */
  default_environment: z.string().min(1).optional(),
  /** our bot's user id (`U…`): its own messages are dropped; the OAuth install fills it in */
  bot_user_id: z.string().optional(),
  /** the slash command the app registers, for the help it prints */
  command: z
    .string()
    .regex(/^\/[\w-]+$/)
    .default("/ambit"),
  /** match a Slack user to the team member with the same email, when Slack says it is confirmed */
  match_email: z.boolean().default(true),
  /** messages of the thread given to the run as context (the newest, up to this many) */
  thread_messages: z.number().int().min(1).max(200).default(50),
});
export type SlackSettings = z.infer<typeof SlackSettings>;

/** The environment of a run from `channel`: the map's, else the default, else none (run defaults). */
export const environmentFor = (s: SlackSettings, channel: string): string | undefined =>
  s.channels[channel] ?? s.default_environment;
