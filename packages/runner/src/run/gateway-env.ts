import type { AssignedModel, TaskAssignment } from "@ambit/protocol";

/**
 * Where the run's model calls go when the platform's gateway serves it (`assignment.gateway`):
 * each provider's base URL variable names the gateway, and each API key variable (the vendors'
 * usual names, the catalog model's `api_key_secret`, the secrets `harness_auth_secrets` names)
 * holds the run's gateway credential. The built-in harness and the vendor CLIs then need no
 * change: they read these as they read a team's own (see harness/cli/common.ts
 * `providerBaseUrl`). The model keys themselves never reach this host.
 */
export function gatewayEnv(a: TaskAssignment, serverUrl: string): Record<string, string> {
  const g = a.gateway;
  if (!g) return {};
  const root = gatewayRoot(serverUrl, g.path);
  const token = g.token;
  const env: Record<string, string> = {
    AMBIT_GATEWAY_URL: root,
    AMBIT_GATEWAY_TOKEN: token,
    ANTHROPIC_BASE_URL: `${root}/anthropic`,
    ANTHROPIC_API_KEY: token,
    OPENAI_BASE_URL: `${root}/openai/v1`,
    OPENAI_API_KEY: token,
    CODEX_API_KEY: token,
    GOOGLE_GEMINI_BASE_URL: `${root}/gemini`,
    GEMINI_API_KEY: token,
  };
  const named = Object.values(a.task.agent_config.harness_auth_secrets ?? {});
  for (const name of [a.model?.api_key_secret, ...named])
    if (typeof name === "string" && name) env[name] = token;
  return env;
}

/** The catalog model as the run calls it: through the gateway, the run credential its key. */
export function gatewayModel(a: TaskAssignment, serverUrl: string): AssignedModel | null {
  const m = a.model ?? null;
  if (!m || !a.gateway) return m;
  const root = gatewayRoot(serverUrl, a.gateway.path);
  return {
    ...m,
    base_url: m.provider === "anthropic" ? `${root}/anthropic` : `${root}/openai/v1`,
    api_key_secret: m.api_key_secret || "AMBIT_GATEWAY_TOKEN",
  };
}

const gatewayRoot = (serverUrl: string, path: string) => `${serverUrl.replace(/\/+$/, "")}${path}`;
