import { z } from "zod";
import { PLACEHOLDERS } from "./prompt.ts";

const EnvId = z.string().min(1).max(200);

const Template = z
  .string()
  .min(1)
  .max(20_000)
  .superRefine((t, ctx) => {
    const unknown = [...t.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)]
      .map((m) => m[1])
      .filter((n) => !PLACEHOLDERS.includes(n));
    if (unknown.length)
      ctx.addIssue({
        code: "custom",
        message: `unknown placeholder(s) ${unknown.map((n) => `{{${n}}}`).join(", ")}; see the Linear integration's README for the list`,
      });
  });

/** A Linear integration's maps, access message and limits (shown to members, written by admins). */
export const LinearSettings = z.object({
  /** the app user's id in the workspace (`viewer { id }`): its own events are dropped */
  app_user_id: z.string().min(1).optional(),
  /** Linear team (its key, e.g. `ENG`, or its id) → environment id of its issues' runs */
  teams: z.record(z.string().min(1).max(200), EnvId).default({}),
  /** Linear project id → environment id; a project's entry wins over its team's */
  projects: z.record(z.string().min(1).max(200), EnvId).default({}),
  /** the environment when no team or project entry matches; else the integration's run defaults */
  default_environment: EnvId.optional(),
  /** teams (key or id) it acts on; empty: every team it hears from */
  only_teams: z.array(z.string().min(1).max(200)).max(200).default([]),
  /** what a Linear user who is not a team member is told (after why they were refused) */
  access_help: z
    .string()
    .min(1)
    .max(1_000)
    .default(
      "Ask an admin of the Ambit team to invite the email address of your Linear account (`ambit member add <email>`), then mention the agent again.",
    ),
  /** a new session's prompt (placeholders in the README); absent: the integration's, else ours */
  prompt: Template.optional(),
  /** how much of the issue goes into the prompt */
  limits: z
    .object({
      comments: z.number().int().min(0).max(100).default(20),
      comment_chars: z.number().int().min(100).max(20_000).default(4_000),
      description_chars: z.number().int().min(100).max(50_000).default(20_000),
    })
    .prefault({}),
});
export type LinearSettings = z.infer<typeof LinearSettings>;

/** An issue's environment: its project's entry, else its team's (key, then id), else the default. */
export function environmentFor(
  settings: LinearSettings,
  at: { teamKey?: string; teamId?: string; projectId?: string },
): string | undefined {
  return (
    (at.projectId ? settings.projects[at.projectId] : undefined) ??
    (at.teamKey ? settings.teams[at.teamKey] : undefined) ??
    (at.teamId ? settings.teams[at.teamId] : undefined) ??
    settings.default_environment
  );
}
