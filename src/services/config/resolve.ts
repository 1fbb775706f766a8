import {
  type AmbientAgentConfig,
  type ConfigChange,
  type MCPServerConfig,
  RESOLVED_KEYS,
  type Role,
} from "@ambit/protocol";
import type { FieldError } from "../../lib/errors.ts";
import { lowerRoleChanges } from "../../lib/personal-secrets.ts";
import type { AgentSettings } from "./identities.ts";
import { defaultModel } from "./models.ts";
import type { AgentRow, TeamConfig } from "./team-config.ts";

/** What a run asked for, and where it came from. */
export type ResolveInput = {
  /** the request's `config` */
  run: AmbientAgentConfig;
  prompt: string;
  savedPrompt?: string;
  agentIdentityUid?: string;
  /** the schedule's or integration's `agent_config`, when one started the run */
  trigger?: AmbientAgentConfig;
  team: TeamConfig;
  /** who creates the run, with the role they act with (absent: the platform, which has no personal secrets) */
  creator?: { id: string; role: Role };
};

export type Resolved = { config: AmbientAgentConfig; prompt: string; errors: FieldError[] };

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined && v !== null),
  ) as Partial<T>;

/** Keys only the platform sets: a client's values for them are dropped, never trusted. */
function clientConfig(config: AmbientAgentConfig | undefined): AmbientAgentConfig {
  const out: Record<string, unknown> = { ...(config ?? {}) };
  for (const k of RESOLVED_KEYS) delete out[k];
  return out as AmbientAgentConfig;
}

/** A named agent's defaults, spelled as run configuration. */
function agentLayer(s: AgentSettings): AmbientAgentConfig {
  return defined({
    environment_id: s.environment_id,
    model_id: s.base_model,
    base_prompt: s.prompt ?? undefined,
    skills: s.skills?.length ? s.skills : undefined,
    harness: s.harness,
    harness_auth_secrets: s.harness_auth_secrets,
    credential_strategy: s.credential_strategy,
    worker_host: s.worker_host,
  }) as AmbientAgentConfig;
}

/**
 * The run's effective configuration, with the precedence run > named agent > schedule/integration
 * > environment > team defaults, as one frozen snapshot: the referenced environment, catalog model,
 * MCP servers, the team's env vars and enabled rules are copied in, so later changes to them never
 * change this run. Pure: `errors` names every reference that does not exist (the caller answers 400).
 * Secret names are collected in `secret_names`; the caller checks them (personal secrets live apart).
 * The pieces copied in that were last written by someone of a lower role than the creator are
 * frozen as `lower_role_changes` (src/lib/personal-secrets.ts, rule 3).
 */
export function resolveConfig(input: ResolveInput): Resolved {
  const { team } = input;
  const errors: FieldError[] = [];
  // every piece of shared configuration copied into the run, with who last wrote it
  const pieces: ConfigChange[] = [];
  const piece = (
    kind: ConfigChange["kind"],
    id: string,
    name: string,
    row: { updatedBy: string | null; updatedByRole: Role },
  ) => pieces.push({ kind, id, name, written_by: row.updatedBy, role: row.updatedByRole });
  const run = clientConfig(input.run);
  const trigger = clientConfig(input.trigger);

  let agent: AgentRow | undefined;
  if (input.agentIdentityUid) {
    agent = team.agents.find((a) => a.id === input.agentIdentityUid);
    if (!agent)
      errors.push({
        path: "agent_identity_uid",
        message: `named agent '${input.agentIdentityUid}' does not exist in this team`,
      });
  }
  if (agent) piece("named_agent", agent.id, agent.name, agent);
  const agentSettings = (agent?.settings ?? {}) as AgentSettings;
  const fromAgent = agentLayer(agentSettings);

  // one-of pairs: the layer that sets either wins both
  const skillsOf = [run, fromAgent, trigger].find(
    (l) => l.skill_spec !== undefined || l.skills !== undefined,
  );
  const merged: AmbientAgentConfig = {
    ...defined(trigger),
    ...defined(fromAgent),
    ...defined(run),
  };
  delete merged.skill_spec;
  delete merged.skills;
  if (skillsOf?.skill_spec !== undefined) merged.skill_spec = skillsOf.skill_spec;
  if (skillsOf?.skills !== undefined) merged.skills = skillsOf.skills;

  // environment: run > agent > trigger
  const envSource =
    run.environment_id !== undefined
      ? "config.environment_id"
      : fromAgent.environment_id !== undefined
        ? "agent_identity_uid"
        : "trigger";
  const environment = merged.environment_id
    ? team.environments.find((e) => e.id === merged.environment_id)
    : undefined;
  if (merged.environment_id && !environment) {
    errors.push({
      path: envSource === "config.environment_id" ? envSource : "config.environment_id",
      message: `environment '${merged.environment_id}' does not exist in this team${envSource === "agent_identity_uid" ? " (named by the agent's defaults)" : envSource === "trigger" ? " (named by the schedule or integration that started the run)" : ""}`,
    });
  }
  if (environment) {
    piece("environment", environment.id, environment.name, environment);
    merged.environment = {
      uid: environment.id,
      name: environment.name,
      docker_image: environment.dockerImage,
      repositories: environment.repositories,
      setup_commands: environment.setupCommands,
      env_vars: environment.envVars,
    };
    merged.worker_host ??= environment.workerHost ?? undefined;
  }

  // MCP servers: merged by name, run wins; registry references are expanded (placeholders kept)
  const servers: Record<string, MCPServerConfig> = {
    ...(trigger.mcp_servers ?? {}),
    ...(agentSettings.mcp_servers ?? {}),
    ...(run.mcp_servers ?? {}),
  };
  for (const [name, server] of Object.entries(servers)) {
    if (server.warp_id === undefined) continue;
    const registered = team.mcpServers.find((m) => m.id === server.warp_id);
    if (!registered)
      errors.push({
        path: `config.mcp_servers.${name}.warp_id`,
        message: `MCP server '${server.warp_id}' is not registered in this team (see GET /api/v1/agent/mcp-servers)`,
      });
    else {
      servers[name] = registered.config as MCPServerConfig;
      piece("mcp_server", registered.id, registered.name, registered);
    }
  }
  if (Object.keys(servers).length) merged.mcp_servers = servers;
  else delete merged.mcp_servers;

  // model: run > agent > trigger > team default; the catalog entry is frozen with it
  merged.model_id ??= defaultModel(team.models)?.id;
  if (merged.model_id === undefined) delete merged.model_id;
  const model = team.models.find((m) => m.id === merged.model_id);
  if (model) piece("model", model.id, model.displayName, model);
  if (model)
    merged.model = {
      id: model.id,
      provider: model.provider,
      model: model.model,
      base_url: model.baseUrl,
      api_key_secret: model.apiKeySecret,
    };

  if (team.envVars.length)
    merged.env_vars = Object.fromEntries(team.envVars.map((v) => [v.name, v.value]));
  for (const v of team.envVars) piece("env_var", v.name, v.name, v);
  const enabledRules = team.rules.filter((r) => r.enabled);
  for (const r of enabledRules) piece("rule", r.id, r.name, r);
  const rules = enabledRules.map((r) => ({ name: r.name, content: r.content }));
  if (rules.length) merged.rules = rules;

  const secretNames = new Set<string>([
    ...(environment?.secretNames ?? []),
    ...(agentSettings.secrets ?? []).map((s) => s.name),
    ...Object.values(merged.harness_auth_secrets ?? {}).filter(
      (v): v is string => typeof v === "string",
    ),
    ...(model?.apiKeySecret ? [model.apiKeySecret] : []),
  ]);
  if (secretNames.size) merged.secret_names = [...secretNames].sort();
  if (agent) merged.agent_identity_uid = agent.id;

  let prompt = input.prompt;
  if (input.savedPrompt) {
    const saved =
      team.prompts.find((p) => p.id === input.savedPrompt) ??
      team.prompts.find((p) => p.name === input.savedPrompt);
    if (!saved)
      errors.push({
        path: "saved_prompt",
        message: `saved prompt '${input.savedPrompt}' does not exist in this team (see GET /api/v1/agent/prompts)`,
      });
    else {
      merged.saved_prompt = saved.id;
      piece("saved_prompt", saved.id, saved.name, saved);
      prompt = prompt.trim() ? `${saved.prompt}\n\n${prompt}` : saved.prompt;
    }
  }
  const changes = input.creator ? lowerRoleChanges(pieces, input.creator) : [];
  if (changes.length) merged.lower_role_changes = changes;
  return { config: merged, prompt, errors };
}
