import type { AmbientAgentConfig } from "@ambit/protocol";

/** The model APIs the gateway speaks, as its routes name them. */
export type GatewayProvider = "anthropic" | "openai" | "gemini";

/**
 * Where each provider's key and base URL come from when the run's catalog model is not of that
 * provider: the team's (or creator's) secrets of these names, as the vendor CLIs read them.
 * `defaultBase` is in the one form the team configures a base URL in (Anthropic's and Gemini's
 * without a version, OpenAI's with `/v1`).
 */
export const PROVIDER_SECRETS: Record<
  GatewayProvider,
  { keys: string[]; base: string; defaultBase: string; authSecret: string }
> = {
  anthropic: {
    keys: ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"],
    base: "ANTHROPIC_BASE_URL",
    defaultBase: "https://api.anthropic.com",
    authSecret: "claude_auth_secret_name",
  },
  openai: {
    keys: ["OPENAI_API_KEY", "CODEX_API_KEY"],
    base: "OPENAI_BASE_URL",
    defaultBase: "https://api.openai.com/v1",
    authSecret: "codex_auth_secret_name",
  },
  gemini: {
    keys: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    base: "GOOGLE_GEMINI_BASE_URL",
    defaultBase: "https://generativelanguage.googleapis.com",
    authSecret: "gemini_auth_secret_name",
  },
};

/** The secret a run's `harness_auth_secrets` names for `provider`'s CLI, if any. */
export function authSecretOf(config: AmbientAgentConfig, provider: GatewayProvider) {
  const named = (config.harness_auth_secrets as Record<string, unknown> | undefined)?.[
    PROVIDER_SECRETS[provider].authSecret
  ];
  return typeof named === "string" && named ? named : undefined;
}

/**
 * The secrets the gateway serves a run from, which its host therefore never receives: every
 * provider's key and base URL secrets, the catalog model's key secret, and the secrets
 * `harness_auth_secrets` names.
 */
export function gatewaySecretNames(config: AmbientAgentConfig): Set<string> {
  const names = new Set<string>();
  for (const [provider, s] of Object.entries(PROVIDER_SECRETS)) {
    for (const k of s.keys) names.add(k);
    names.add(s.base);
    const named = authSecretOf(config, provider as GatewayProvider);
    if (named) names.add(named);
  }
  if (config.model?.api_key_secret) names.add(config.model.api_key_secret);
  return names;
}
