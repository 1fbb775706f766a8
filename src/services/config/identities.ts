import type {
  AgentResponse,
  CreateAgentRequest,
  ListAgentsQuery,
  UpdateAgentRequest,
} from "@ambit/protocol";
import { agentIdentities } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { revokeKeysOfAccount } from "../api-keys.ts";
import { recheckLiveAccess } from "../runs/live-access.ts";
import { configCollection } from "./collection.ts";
import { type AgentRow, loadTeamConfig } from "./team-config.ts";

/** The run defaults a named agent stores (the Oz `AgentResponse` fields it may set). */
export type AgentSettings = Partial<
  Pick<
    AgentResponse,
    | "description"
    | "prompt"
    | "environment_id"
    | "base_model"
    | "harness"
    | "credential_strategy"
    | "harness_auth_secrets"
    | "mcp_servers"
    | "worker_host"
    | "agent_type"
    | "factory_uid"
    | "on_behalf_of_enabled"
  >
> & { secrets?: { name: string }[]; skills?: string[]; default_runner_uid?: string };

export function toAgentResponse(row: AgentRow): AgentResponse {
  const s = row.settings as AgentSettings;
  return {
    ...s,
    uid: row.id,
    name: row.name,
    available: true,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    secrets: s.secrets ?? [],
    skills: s.skills ?? [],
    memory: { auto_memory: { enabled: false }, attached_stores: [] },
    default_runner_uid: s.default_runner_uid ?? null,
  };
}

/** Named agents are team principals: managed by human admins only (as Oz: "only humans manage agents"). */
function authorize(ctx: Ctx, action: string) {
  requireRole(ctx, "admin", action);
  if (ctx.actor.type !== "user")
    throw new AppError(
      "not_authorized",
      `${action} is for people: use a user's API key, not a named agent's`,
    );
}

/** Oz update semantics: omitted or null = unchanged; "" / [] / {} = clear; anything else replaces. */
function applySettings(
  current: AgentSettings,
  input: Omit<UpdateAgentRequest, "name">,
): AgentSettings {
  const next: Record<string, unknown> = { ...current };
  const { base_harness, ...rest } = input;
  if (base_harness && !input.harness?.type)
    rest.harness = { ...(input.harness ?? current.harness ?? {}), type: base_harness };
  if (base_harness && input.harness?.type && input.harness.type !== base_harness) {
    throw new AppError(
      "invalid_request",
      `base_harness '${base_harness}' conflicts with harness.type '${input.harness.type}'; send only harness`,
      {
        errors: [{ path: "base_harness", message: "conflicts with harness.type" }],
      },
    );
  }
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined || v === null) continue;
    const empty =
      v === "" ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
    if (empty) delete next[k];
    else next[k] = v;
  }
  return next as AgentSettings;
}

async function assertEnvironment(ctx: Ctx, environmentId: string | null | undefined) {
  if (!environmentId) return;
  if (!(await loadTeamConfig(ctx)).environments.some((e) => e.id === environmentId)) {
    throw new AppError(
      "invalid_request",
      `environment_id '${environmentId}' is not an environment of this team`,
      { errors: [{ path: "environment_id", message: "unknown environment" }] },
    );
  }
}

/** Named agents: a delete also revokes, in the same batch, every API key bound to the agent. */
const agents = configCollection<AgentRow, AgentResponse, UpdateAgentRequest, CreateAgentRequest>({
  table: agentIdentities,
  noun: "Agent",
  cached: (c) => c.agents,
  toItem: toAgentResponse,
  authorize,
  actions: {
    create: "Creating named agents",
    update: "Changing named agents",
    remove: "Deleting named agents",
  },
  check: (ctx, input) => assertEnvironment(ctx, input.environment_id),
  fields: ({ name, ...settings }, current) => ({
    name: name || current?.name || "",
    settings: applySettings((current?.settings ?? {}) as AgentSettings, settings),
  }),
  newId: uuidv7,
  recordsCreator: true,
  alsoOnDelete: (ctx, uid) => [revokeKeysOfAccount(ctx, uid)],
});

export const { get: getAgent, create: createAgent, update: updateAgent } = agents;

/** The team's named agents; with `factory_uid`, only that factory's. */
export async function listAgents({ ctx, query }: { ctx: Ctx; query: ListAgentsQuery }) {
  const all = await agents.list({ ctx });
  return query.factory_uid ? all.filter((a) => a.factory_uid === query.factory_uid) : all;
}

/** Deletes the agent and revokes its API keys; what those keys have open live is closed. */
export async function deleteAgent({ ctx, uid }: { ctx: Ctx; uid: string }) {
  await agents.remove({ ctx, uid });
  await recheckLiveAccess(ctx, { principalId: uid });
}
