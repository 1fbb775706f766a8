import { z } from "zod";
import { Role } from "./common.ts";
import { AGENT_CONFIG_BOUNDS, boundedJson, ServiceUrl, StringMap } from "./bounds.ts";

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/** One MCP server of a run: exactly one of `warp_id`, `command` (stdio) or `url` (streamable HTTP). */
export const MCPServerConfig = z
  .object({
    warp_id: z.string().min(1).optional(),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: StringMap(64 * 1024).optional(),
    url: ServiceUrl.optional(),
    headers: StringMap(64 * 1024).optional(),
  })
  .superRefine((v, ctx) => {
    const kinds = [v.warp_id, v.command, v.url].filter((x) => x !== undefined).length;
    if (kinds !== 1)
      ctx.addIssue({ code: "custom", message: "set exactly one of warp_id, command or url" });
    if (v.env && !v.command)
      ctx.addIssue({ code: "custom", path: ["env"], message: "env is only allowed with command" });
    if (v.headers && !v.url)
      ctx.addIssue({
        code: "custom",
        path: ["headers"],
        message: "headers are only allowed with url",
      });
    if (v.args && !v.command)
      ctx.addIssue({
        code: "custom",
        path: ["args"],
        message: "args are only allowed with command",
      });
  });
export type MCPServerConfig = z.infer<typeof MCPServerConfig>;

export const HarnessType = z.enum(["ambit", "oz", "claude", "codex", "gemini", "opencode"]);
export type HarnessType = z.infer<typeof HarnessType>;

/**
 * A piece of shared configuration a run froze that was last written by someone of a lower role
 * than the run's creator (see `lower_role_changes`).
 */
export const ConfigChange = z.object({
  kind: z.enum([
    "environment",
    "model",
    "mcp_server",
    "rule",
    "env_var",
    "named_agent",
    "saved_prompt",
  ]),
  id: z.string(),
  name: z.string(),
  written_by: z
    .string()
    .nullable()
    .describe("who last wrote it (null: before Ambit recorded writers)"),
  role: Role.describe("their role when they wrote it"),
});
export type ConfigChange = z.infer<typeof ConfigChange>;

/**
 * What the platform adds when it resolves a run's configuration (run > named agent > schedule >
 * environment > team), so the run record and the host see one frozen snapshot. Set only by the
 * platform: values a client sends for these keys are replaced.
 */
export const ResolvedConfigFields = {
  environment: z
    .object({
      uid: z.string(),
      name: z.string(),
      docker_image: z.string().nullable().optional(),
      repositories: z.array(z.object({ url: z.string(), ref: z.string().optional() })),
      setup_commands: z.array(z.string()),
      env_vars: z.record(z.string(), z.string()),
    })
    .optional()
    .describe("Ambit: the environment as it was when the run was created"),
  env_vars: z
    .record(z.string(), z.string())
    .optional()
    .describe("Ambit: the team's environment variables"),
  rules: z
    .array(z.object({ name: z.string(), content: z.string() }))
    .optional()
    .describe("Ambit: the team's enabled rules"),
  model: z
    .object({
      id: z.string(),
      provider: z.enum(["openai", "anthropic"]),
      model: z.string(),
      base_url: z.string().nullable().optional(),
      api_key_secret: z.string().nullable().optional(),
    })
    .optional()
    .describe("Ambit: the catalog entry of model_id, when the team's catalog lists it"),
  secret_names: z
    .array(z.string())
    .optional()
    .describe("Ambit: secrets this configuration names (validated at creation)"),
  agent_identity_uid: z.string().optional().describe("Ambit: the named agent the run executes as"),
  saved_prompt: z
    .string()
    .optional()
    .describe("Ambit: uid of the saved prompt the run started from"),
  lower_role_changes: z
    .array(ConfigChange)
    .optional()
    .describe(
      "Ambit: the shared configuration this run froze that was last written by someone of a lower role than its creator; while any is listed, the run's executions get no personal secrets (the creator consents by saving the piece again)",
    ),
};
export const RESOLVED_KEYS = Object.keys(
  ResolvedConfigFields,
) as (keyof typeof ResolvedConfigFields)[];

/** The agent configuration of a run (Oz `AmbientAgentConfig`); unknown fields are kept as given. */
export const AmbientAgentConfig = z
  .looseObject({
    name: z.string().max(200).optional(),
    model_id: z.string().max(200).optional(),
    base_prompt: z.string().max(100_000).optional(),
    environment_id: z.string().max(200).optional(),
    runner_id: z.string().max(200).optional(),
    skill_spec: z.string().max(500).optional(),
    skills: z.array(z.string().max(500)).max(50).optional(),
    mcp_servers: z.record(z.string().min(1).max(100), MCPServerConfig).optional(),
    computer_use_enabled: z.boolean().optional(),
    computer_use_model_id: z.string().optional(),
    idle_timeout_minutes: z.number().int().min(1).max(60).optional(),
    worker_host: z.string().min(1).max(200).optional(),
    harness: z
      .looseObject({
        type: HarnessType.optional(),
        model_id: z.string().optional(),
        reasoning_level: z.string().optional(),
      })
      .optional(),
    harness_auth_secrets: z
      .looseObject({
        claude_auth_secret_name: z.string().optional(),
        codex_auth_secret_name: z.string().optional(),
      })
      .optional(),
    session_sharing: z
      .object({ public_access: z.enum(["VIEWER", "EDITOR"]).optional() })
      .optional(),
    credential_strategy: z.enum(["CREATOR", "EXECUTOR"]).nullable().optional(),
    max_cost_usd: z
      .number()
      .positive()
      .max(1_000_000)
      .optional()
      .describe(
        "the most this run's model calls may cost in USD (the gateway's ledger); at it, the next call is refused and the run ends FAILED with budget_exceeded. Default: the team's run_max_cost_usd",
      ),
    ...ResolvedConfigFields,
  })
  .superRefine((v, ctx) => {
    if (v.skill_spec !== undefined && v.skills !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["skills"],
        message: "set either skill_spec or skills, not both",
      });
    }
  });
export type AmbientAgentConfig = z.infer<typeof AmbientAgentConfig>;

/**
 * `agent_config` as a client sends it (runs, schedules): its unknown keys are kept as given, so the
 * whole is bounded in depth and size. The resolved snapshot a host receives is not: the platform
 * adds the environment, rules and variables to it.
 */
export const AgentConfigInput = AmbientAgentConfig.superRefine(boundedJson(AGENT_CONFIG_BOUNDS));

/** Run metadata: ≤20 string pairs; keys `[a-zA-Z0-9._-]{1,64}`, values ≤256 UTF-8 bytes without NUL. */
export const RunMetadata = z
  .record(
    z
      .string()
      .regex(
        /^[a-zA-Z0-9._-]{1,64}$/,
        "metadata keys are 1-64 characters of a-z, A-Z, 0-9, '.', '_' or '-'",
      ),
    z
      .string()
      .refine((s) => utf8Bytes(s) <= 256, "metadata values are at most 256 bytes")
      .refine((s) => !s.includes("\u0000"), "metadata values may not contain NUL"),
  )
  .refine((m) => Object.keys(m).length <= 20, "metadata has at most 20 keys");
export type RunMetadata = z.infer<typeof RunMetadata>;
