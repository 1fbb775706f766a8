import { z } from "zod";
import { HarnessType, MCPServerConfig } from "./agent-config.ts";
import { Timestamp } from "./common.ts";
import { SecretName } from "./secrets.ts";

const Harness = z.object({
  type: HarnessType.optional(),
  model_id: z.string().max(200).optional(),
  reasoning_level: z.string().max(50).optional(),
});
const HarnessAuthSecrets = z.object({
  claude_auth_secret_name: SecretName.optional(),
  codex_auth_secret_name: SecretName.optional(),
});
const AgentType = z.enum(["FOREMAN", "TRIAGE", "SPEC", "IMPLEMENT", "REVIEW", "VERIFY", "CUSTOM"]);
const McpServers = z.record(z.string().min(1).max(100), MCPServerConfig);

/** Oz `AgentResponse`: a named agent (team service-account principal) and its run defaults. */
export const AgentResponse = z.object({
  uid: z.string(),
  name: z.string(),
  description: z.string().nullable().optional(),
  prompt: z.string().nullable().optional().describe("base prompt of its runs"),
  available: z.boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
  secrets: z.array(z.object({ name: z.string() })),
  skills: z.array(z.string()),
  memory: z.object({
    auto_memory: z.object({ enabled: z.boolean() }),
    attached_stores: z.array(z.unknown()),
  }),
  default_runner_uid: z.string().nullable(),
  environment_id: z.string().optional(),
  base_model: z.string().optional(),
  harness: Harness.optional(),
  credential_strategy: z.enum(["CREATOR", "EXECUTOR"]).optional(),
  harness_auth_secrets: HarnessAuthSecrets.optional(),
  mcp_servers: McpServers.optional(),
  on_behalf_of_enabled: z.boolean().optional(),
  worker_host: z.string().optional(),
  agent_type: AgentType.optional(),
  factory_uid: z.string().nullable().optional(),
});
export type AgentResponse = z.infer<typeof AgentResponse>;

const agentFields = {
  description: z.string().max(240).nullable().optional(),
  prompt: z.string().max(100_000).nullable().optional(),
  environment_id: z.string().max(64).nullable().optional(),
  secrets: z
    .array(z.object({ name: SecretName }))
    .max(100)
    .nullable()
    .optional(),
  skills: z.array(z.string().min(1).max(500)).max(50).nullable().optional(),
  base_model: z.string().max(200).nullable().optional(),
  base_harness: HarnessType.nullable().optional().describe("deprecated: use harness.type"),
  harness: Harness.nullable().optional(),
  credential_strategy: z.enum(["CREATOR", "EXECUTOR"]).nullable().optional(),
  harness_auth_secrets: HarnessAuthSecrets.nullable().optional(),
  mcp_servers: McpServers.nullable().optional(),
  worker_host: z.string().min(1).max(200).nullable().optional(),
  agent_type: AgentType.nullable().optional(),
  default_runner_uid: z.string().max(64).nullable().optional(),
  on_behalf_of_enabled: z.boolean().nullable().optional(),
};

const noDuplicateSecrets = (v: { secrets?: { name: string }[] | null }, ctx: z.RefinementCtx) => {
  const names = (v.secrets ?? []).map((s) => s.name);
  if (new Set(names).size !== names.length)
    ctx.addIssue({ code: "custom", path: ["secrets"], message: "secret names must be unique" });
};

export const CreateAgentRequest = z
  .object({
    name: z.string().trim().min(1, "name may not be empty").max(100),
    ...agentFields,
    factory_uid: z.string().max(64).nullable().optional(),
  })
  .superRefine(noDuplicateSecrets);
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;

/** Partial update: omitted or null = unchanged; empty string / [] / {} = clear; anything else replaces. */
export const UpdateAgentRequest = z
  .object({
    name: z.string().trim().min(1, "name may not be empty").max(100).nullable().optional(),
    ...agentFields,
  })
  .superRefine(noDuplicateSecrets);
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

/** Query of `GET /agent/identities`: only the agents of this factory. */
export const ListAgentsQuery = z.object({ factory_uid: z.string().max(64).optional() });
export type ListAgentsQuery = z.infer<typeof ListAgentsQuery>;

export const ListAgentsResponse = z.object({ agents: z.array(AgentResponse) });
