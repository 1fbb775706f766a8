import { z } from "zod";
import { ServiceUrl, StringMap } from "./bounds.ts";
import { Timestamp } from "./common.ts";

const ConfigName = z.string().trim().min(1).max(100);

/** A registered MCP server (stdio `command` or streamable-HTTP `url`). `${NAME}` placeholders in
 * `args`, `env` and `headers` stay as written; the host fills them from the run's secrets and env vars. */
export const McpServerDefinition = z
  .object({
    command: z.string().min(1).max(1000).optional(),
    args: z.array(z.string().max(2000)).max(50).optional(),
    env: StringMap(64 * 1024, z.string().max(10_000)).optional(),
    url: ServiceUrl.optional(),
    headers: StringMap(64 * 1024, z.string().max(10_000)).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.command === undefined) === (v.url === undefined))
      ctx.addIssue({ code: "custom", message: "set exactly one of command or url" });
    if (v.env && !v.command)
      ctx.addIssue({ code: "custom", path: ["env"], message: "env is only allowed with command" });
    if (v.args && !v.command)
      ctx.addIssue({
        code: "custom",
        path: ["args"],
        message: "args are only allowed with command",
      });
    if (v.headers && !v.url)
      ctx.addIssue({
        code: "custom",
        path: ["headers"],
        message: "headers are only allowed with url",
      });
  });

export const McpServer = z.object({
  uid: z.string().describe("reference it from a run as `config.mcp_servers.<name>.warp_id`"),
  name: z.string(),
  description: z.string().nullable(),
  config: McpServerDefinition,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type McpServer = z.infer<typeof McpServer>;
export const McpServerRequest = z.object({
  name: ConfigName,
  description: z.string().max(240).nullable().optional(),
  config: McpServerDefinition,
});
export type McpServerRequest = z.infer<typeof McpServerRequest>;
export const ListMcpServersResponse = z.object({ mcp_servers: z.array(McpServer) });

/** A team rule: instructions every run of the team receives (frozen into `agent_config.rules`). */
export const Rule = z.object({
  uid: z.string(),
  name: z.string(),
  content: z.string(),
  enabled: z.boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Rule = z.infer<typeof Rule>;
export const RuleRequest = z.object({
  name: ConfigName,
  content: z.string().min(1).max(50_000),
  enabled: z.boolean().default(true),
});
export type RuleRequest = z.infer<typeof RuleRequest>;
export const ListRulesResponse = z.object({ rules: z.array(Rule) });

/** A saved prompt, usable as `saved_prompt` (uid or name) when creating a run. */
export const SavedPrompt = z.object({
  uid: z.string(),
  name: z.string(),
  prompt: z.string(),
  description: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type SavedPrompt = z.infer<typeof SavedPrompt>;
export const SavedPromptRequest = z.object({
  name: ConfigName.regex(
    /^[^\s/][^/]*$/,
    "a prompt name may not contain '/' or start with a space",
  ),
  prompt: z.string().min(1).max(100_000),
  description: z.string().max(240).nullable().optional(),
});
export type SavedPromptRequest = z.infer<typeof SavedPromptRequest>;
export const ListSavedPromptsResponse = z.object({ prompts: z.array(SavedPrompt) });

/** A team environment variable (not secret: values are shown). Every run of the team receives them. */
export const EnvVar = z.object({
  name: z.string(),
  value: z.string(),
  description: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type EnvVar = z.infer<typeof EnvVar>;
export const EnvVarRequest = z.object({
  value: z.string().max(10_000),
  description: z.string().max(240).nullable().optional(),
});
export type EnvVarRequest = z.infer<typeof EnvVarRequest>;
export const ListEnvVarsResponse = z.object({ env_vars: z.array(EnvVar) });
export const EnvVarParams = z.object({
  name: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
      "an environment variable name: letters, digits and '_', not starting with a digit",
    ),
});

export const UidParams = z.object({ uid: z.string().min(1).max(64) });
export const DeletedResponse = z.object({ success: z.boolean() });
