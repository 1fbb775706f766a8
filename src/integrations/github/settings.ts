import { z } from "zod";
import { unknownPlaceholders } from "./prompt.ts";

const httpsBase = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .transform((u) => u.replace(/\/+$/, ""));

const Repo = z
  .string()
  .regex(/^[\w.-]+\/([\w.-]+|\*)$/, "must be owner/repo or owner/*")
  .transform((s) => s.toLowerCase());

const Template = z
  .string()
  .min(1)
  .max(20_000)
  .superRefine((t, ctx) => {
    const unknown = unknownPlaceholders(t);
    if (unknown.length)
      ctx.addIssue({
        code: "custom",
        message: `unknown placeholder(s) ${unknown.map((n) => `{{${n}}}`).join(", ")}; see the GitHub integration's README for the list`,
      });
  });

/** Who may start a run from a comment or a pull request: people with write access by default. */
export const AuthorAssociation = z.enum([
  "OWNER",
  "MEMBER",
  "COLLABORATOR",
  "CONTRIBUTOR",
  "FIRST_TIME_CONTRIBUTOR",
  "FIRST_TIMER",
  "MANNEQUIN",
  "NONE",
]);

/** A GitHub integration's triggers, filters, maps and templates (shown to members). */
export const GitHubSettings = z.object({
  /** REST base: GitHub Enterprise Server is `https://HOST/api/v3` */
  api_base_url: httpsBase.default("https://api.github.com"),
  /** web base, for links (GHES `https://HOST`) */
  web_base_url: httpsBase.default("https://github.com"),
  /** the text that summons the agent in a comment */
  handle: z
    .string()
    .regex(/^@[\w-]+$/, "must be @ and a name, e.g. @ambit")
    .default("@ambit"),
  /** the login our comments appear as (`<app-slug>[bot]`, or the token's user): its events are dropped */
  bot_login: z.string().min(1).optional(),
  triggers: z
    .object({
      /** a comment on an issue or pull request that mentions the handle */
      mention: z.boolean().default(true),
      /** an issue given one of `labels` */
      label: z.boolean().default(false),
      /** a pull request opened, reopened, updated or made ready, for review */
      pull_request: z.boolean().default(false),
      /** a failed workflow run or check suite, with the failing jobs' log tail */
      ci_failure: z.boolean().default(false),
    })
    .prefault({}),
  /** the labels the `label` trigger reacts to (case-insensitive) */
  labels: z.array(z.string().min(1).max(100)).max(20).default(["ambit"]),
  /** author associations allowed to trigger by a mention or a pull request */
  allowed_associations: z
    .array(AuthorAssociation)
    .min(1)
    .default(["OWNER", "MEMBER", "COLLABORATOR"]),
  /** repositories it acts on (`owner/repo` or `owner/*`); empty: every repository it receives */
  repositories: z.array(Repo).max(500).default([]),
  /** `owner/repo` (or `owner/*`) → environment id the run uses; else the integration's default */
  environments: z.record(Repo, z.string().min(1).max(200)).default({}),
  /** prompt templates by trigger (placeholders in the README); absent: the default */
  prompts: z
    .object({
      mention: Template.optional(),
      label: Template.optional(),
      pull_request: Template.optional(),
      ci_failure: Template.optional(),
    })
    .prefault({}),
  /** how much of the thread goes into the prompt */
  limits: z
    .object({
      comments: z.number().int().min(0).max(100).default(20),
      comment_chars: z.number().int().min(100).max(20_000).default(4_000),
      diff_chars: z.number().int().min(0).max(80_000).default(40_000),
      log_chars: z.number().int().min(0).max(50_000).default(12_000),
    })
    .prefault({}),
});
export type GitHubSettings = z.infer<typeof GitHubSettings>;

/** Whether a repository matches a list entry (`owner/repo` or `owner/*`), case-insensitively. */
export const repoMatches = (entry: string, fullName: string) => {
  const name = fullName.toLowerCase();
  return entry.endsWith("/*") ? name.startsWith(entry.slice(0, -1)) : entry === name;
};

/** The environment of a repository: an exact entry wins over its owner's wildcard. */
export function environmentFor(settings: GitHubSettings, fullName: string): string | undefined {
  const map = settings.environments;
  const name = fullName.toLowerCase();
  return map[name] ?? map[`${name.split("/")[0]}/*`];
}
