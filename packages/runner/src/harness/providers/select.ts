import type { AmbientAgentConfig, AssignedModel } from "@ambit/protocol";
import { ANTHROPIC_DEFAULT_BASE_URL, anthropicProvider } from "./anthropic.ts";
import { OPENAI_DEFAULT_BASE_URL, openAiProvider } from "./openai.ts";
import type { Provider } from "./types.ts";

export const DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5";
export const DEFAULT_OPENAI_MODEL = "gpt-4.1";

export type ProviderChoice = { ok: true; provider: Provider } | { ok: false; message: string };

type Source = {
  config: AmbientAgentConfig;
  model: AssignedModel | null;
  env: Record<string, string>;
};

/**
 * Which API the `ambit` harness speaks: the team catalog's model when the run has one; otherwise
 * `claude-*` ids go to Anthropic and everything else to an OpenAI-compatible server, with keys and
 * base URLs from the run's secrets first and the host's environment second.
 */
export function chooseProvider(
  { config, model, env }: Source,
  host: NodeJS.ProcessEnv = process.env,
): ProviderChoice {
  if (model) return fromCatalog(model, env);
  const lookup = (name: string) => env[name] || host[name] || undefined;
  const id =
    config.model_id && !["auto", "default"].includes(config.model_id) ? config.model_id : undefined;
  const wantsAnthropic = id
    ? /^claude[-_]/i.test(id)
    : Boolean(lookup("ANTHROPIC_API_KEY")) && !lookup("OPENAI_API_KEY");

  if (wantsAnthropic) {
    const apiKey = lookup("ANTHROPIC_API_KEY");
    if (!apiKey) return missing("ANTHROPIC_API_KEY", "anthropic_api_key", id);
    return {
      ok: true,
      provider: anthropicProvider({
        apiKey,
        baseUrl: lookup("ANTHROPIC_BASE_URL") ?? ANTHROPIC_DEFAULT_BASE_URL,
        model: id ?? DEFAULT_ANTHROPIC_MODEL,
      }),
    };
  }
  const apiKey = lookup("OPENAI_API_KEY");
  const baseUrl = lookup("OPENAI_BASE_URL");
  // a local server (llama.cpp, Ollama, vLLM) named by OPENAI_BASE_URL needs no key
  if (!apiKey && !baseUrl) return missing("OPENAI_API_KEY", "openai_api_key", id);
  return {
    ok: true,
    provider: openAiProvider({
      apiKey: apiKey ?? "",
      baseUrl: baseUrl ?? OPENAI_DEFAULT_BASE_URL,
      model: id ?? DEFAULT_OPENAI_MODEL,
    }),
  };
}

function fromCatalog(m: AssignedModel, env: Record<string, string>): ProviderChoice {
  let apiKey = "";
  if (m.api_key_secret) {
    apiKey = env[m.api_key_secret] ?? "";
    if (!apiKey) {
      return {
        ok: false,
        message: `the catalog model "${m.id}" takes its API key from the secret ${m.api_key_secret}, which this run does not have: add a team secret named ${m.api_key_secret}`,
      };
    }
  }
  const provider =
    m.provider === "anthropic"
      ? anthropicProvider({
          apiKey,
          baseUrl: m.base_url ?? ANTHROPIC_DEFAULT_BASE_URL,
          model: m.model,
        })
      : openAiProvider({ apiKey, baseUrl: m.base_url ?? OPENAI_DEFAULT_BASE_URL, model: m.model });
  return { ok: true, provider };
}

function missing(secret: string, type: string, modelId: string | undefined): ProviderChoice {
  const which = modelId ? `the model "${modelId}"` : "the ambit harness";
  return {
    ok: false,
    message: `${which} needs an API key and none was found: add a team secret named ${secret} (type ${type}) or set agent_config.model_id to a model of the team's catalog`,
  };
}
