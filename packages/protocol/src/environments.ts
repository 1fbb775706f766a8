import { z } from "zod";
import { Scope, Timestamp, UserProfile } from "./common.ts";
import { RunState } from "./runs.ts";
import { SecretName } from "./secrets.ts";

export const Repository = z.object({
  url: z.string().min(1).max(500).describe("any git URL, or `owner/repo` for GitHub"),
  ref: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("branch, tag or commit; the default branch when absent"),
});
export type Repository = z.infer<typeof Repository>;

const EnvVarName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    "an environment variable name: letters, digits and '_', not starting with a digit",
  );
export const EnvVarMap = z
  .record(EnvVarName, z.string().max(10_000))
  .refine((m) => Object.keys(m).length <= 200, "at most 200 variables");

/** Oz `CloudEnvironmentConfig`, plus Ambit's `repositories` (any git URL), `env_vars`, `secrets` and `worker_host`. */
export const CloudEnvironmentConfig = z.object({
  name: z.string(),
  description: z.string().nullable().optional(),
  docker_image: z.string().nullable().optional(),
  github_repos: z
    .array(z.object({ owner: z.string(), repo: z.string() }))
    .optional()
    .describe("the GitHub repositories among `repositories`"),
  repositories: z.array(Repository).optional(),
  setup_commands: z.array(z.string()).optional(),
  env_vars: z.record(z.string(), z.string()).optional(),
  secrets: z
    .array(z.object({ name: z.string() }))
    .optional()
    .describe("default secrets: names that must exist when a run uses this environment"),
  worker_host: z
    .string()
    .nullable()
    .optional()
    .describe("default host for runs in this environment"),
});
export type CloudEnvironmentConfig = z.infer<typeof CloudEnvironmentConfig>;

export const EnvironmentLastTask = z.object({
  id: z.string(),
  title: z.string(),
  state: RunState,
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: Timestamp.nullable().optional(),
});

/** Oz `CloudEnvironment`. */
export const CloudEnvironment = z.object({
  uid: z.string(),
  config: CloudEnvironmentConfig,
  last_updated: Timestamp,
  setup_failed: z.boolean().describe("the last run in this environment failed during setup"),
  last_task_run_timestamp: Timestamp.nullable().optional(),
  last_task_created: EnvironmentLastTask.optional(),
  scope: Scope.optional(),
  creator: UserProfile.optional(),
  last_editor: UserProfile.optional(),
});
export type CloudEnvironment = z.infer<typeof CloudEnvironment>;

export const ListEnvironmentsResponse = z.object({ environments: z.array(CloudEnvironment) });
export const ListEnvironmentsQuery = z.object({
  sort_by: z.enum(["name", "last_updated"]).default("last_updated"),
});
export type ListEnvironmentsQuery = z.infer<typeof ListEnvironmentsQuery>;

/** Body of `POST /agent/environments` and (full replacement) `PUT /agent/environments/{uid}`. */
export const EnvironmentRequest = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(240, "description is at most 240 characters").nullable().optional(),
    docker_image: z.string().min(1).max(300).nullable().optional(),
    repositories: z.array(Repository).max(20).optional(),
    github_repos: z
      .array(z.object({ owner: z.string().min(1).max(100), repo: z.string().min(1).max(100) }))
      .max(20)
      .optional(),
    setup_commands: z.array(z.string().min(1).max(10_000)).max(50).optional(),
    env_vars: EnvVarMap.optional(),
    secrets: z
      .array(z.object({ name: SecretName }))
      .max(100)
      .optional(),
    worker_host: z.string().min(1).max(200).nullable().optional(),
  })
  .superRefine((v, ctx) => {
    const names = (v.secrets ?? []).map((s) => s.name);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: "custom", path: ["secrets"], message: "secret names must be unique" });
  });
export type EnvironmentRequest = z.infer<typeof EnvironmentRequest>;
