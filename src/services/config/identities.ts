import type { AgentResponse, CreateAgentRequest, UpdateAgentRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { agentIdentities, apiKeys } from "../../db/schema.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { recheckLiveAccess } from "../runs/live-access.ts";
import { type AgentRow, loadTeamConfig, writeTeamConfig, writtenBy } from "./team-config.ts";

/** The run defaults a named agent stores (the Oz `AgentResponse` fields it may set). */
export type AgentSettings = Partial<Pick<AgentResponse,
  "description" | "prompt" | "environment_id" | "base_model" | "harness" | "credential_strategy" | "harness_auth_secrets" | "mcp_servers" |
  "worker_host" | "agent_type" | "factory_uid" | "on_behalf_of_enabled">> & { secrets?: { name: string }[]; skills?: string[]; default_runner_uid?: string };

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
  if (ctx.actor.type !== "user") throw new AppError("not_authorized", `${action} is for people: use a user's API key, not a named agent's`);
}

/** Oz update semantics: omitted or null = unchanged; "" / [] / {} = clear; anything else replaces. */
function applySettings(current: AgentSettings, input: Omit<UpdateAgentRequest, "name">): AgentSettings {
  const next: Record<string, unknown> = { ...current };
  const { base_harness, ...rest } = input;
  if (base_harness && !input.harness?.type) rest.harness = { ...(input.harness ?? current.harness ?? {}), type: base_harness };
  if (base_harness && input.harness?.type && input.harness.type !== base_harness) {
    throw new AppError("invalid_request", `base_harness '${base_harness}' conflicts with harness.type '${input.harness.type}'; send only harness`, {
      errors: [{ path: "base_harness", message: "conflicts with harness.type" }],
    });
  }
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined || v === null) continue;
    const empty = v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
    if (empty) delete next[k];
    else next[k] = v;
  }
  return next as AgentSettings;
}

async function assertEnvironment(ctx: Ctx, environmentId: string | null | undefined) {
  if (!environmentId) return;
  if (!(await loadTeamConfig(ctx)).environments.some((e) => e.id === environmentId)) {
    throw new AppError("invalid_request", `environment_id '${environmentId}' is not an environment of this team`, { errors: [{ path: "environment_id", message: "unknown environment" }] });
  }
}

export const listAgents = async ({ ctx }: { ctx: Ctx }) => (await loadTeamConfig(ctx)).agents.map(toAgentResponse);

export async function getAgent({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const row = (await loadTeamConfig(ctx)).agents.find((a) => a.id === uid);
  if (!row) throw notFound("Agent", uid);
  return toAgentResponse(row);
}

export async function createAgent({ ctx, input }: { ctx: Ctx; input: CreateAgentRequest }) {
  authorize(ctx, "Creating named agents");
  const { name, ...settings } = input;
  await assertEnvironment(ctx, settings.environment_id);
  const now = Date.now();
  const row: AgentRow = { id: uuidv7(now), teamId: ctx.teamId, name, settings: applySettings({}, settings), createdBy: ctx.actor.id, ...writtenBy(ctx), createdAt: now, updatedAt: now };
  await writeTeamConfig(ctx, [ctx.db.insert(agentIdentities).values(row)]);
  return toAgentResponse(row);
}

export async function updateAgent({ ctx, uid, input }: { ctx: Ctx; uid: string; input: UpdateAgentRequest }) {
  authorize(ctx, "Changing named agents");
  const key = and(eq(agentIdentities.teamId, ctx.teamId), eq(agentIdentities.id, uid));
  const [row] = await ctx.db.select().from(agentIdentities).where(key).limit(1);
  if (!row) throw notFound("Agent", uid);
  const { name, ...settings } = input;
  await assertEnvironment(ctx, settings.environment_id);
  const next: AgentRow = { ...row, name: name || row.name, settings: applySettings(row.settings as AgentSettings, settings), ...writtenBy(ctx), updatedAt: Date.now() };
  await writeTeamConfig(ctx, [ctx.db.update(agentIdentities).set(next).where(key)]);
  return toAgentResponse(next);
}

/** Deletes the agent and, in the same batch, revokes every API key bound to it; what those keys have open live is closed. */
export async function deleteAgent({ ctx, uid }: { ctx: Ctx; uid: string }) {
  authorize(ctx, "Deleting named agents");
  const key = and(eq(agentIdentities.teamId, ctx.teamId), eq(agentIdentities.id, uid));
  const [row] = await ctx.db.select({ id: agentIdentities.id }).from(agentIdentities).where(key).limit(1);
  if (!row) throw notFound("Agent", uid);
  await writeTeamConfig(ctx, [
    ctx.db.delete(agentIdentities).where(key),
    ctx.db.update(apiKeys).set({ revokedAt: Date.now() }).where(and(eq(apiKeys.teamId, ctx.teamId), eq(apiKeys.principalType, "service_account"), eq(apiKeys.principalId, uid))),
  ]);
  await recheckLiveAccess(ctx, { principalId: uid });
}
