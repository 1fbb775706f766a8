import type { Tokens } from "../../lib/model-prices.ts";
import type { GatewayProvider } from "../../lib/model-keys.ts";

export type { GatewayProvider };

/** What a model call's answer said of its usage so far; `seen` once any usage was read. */
export type UsageSeen = Tokens & { seen: boolean; model?: string };

export const noUsage = (): UsageSeen => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  seen: false,
});

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
// biome-ignore lint/suspicious/noExplicitAny: a provider's JSON, read field by field
type Obj = Record<string, any>;

/**
 * Reads usage from one answer object (a whole JSON answer, or one SSE event's data) into `u`.
 * Counts are normalized to the ledger's: `input` excludes cached tokens (OpenAI and Gemini count
 * them inside the prompt; Anthropic apart), `output` includes reasoning tokens. Fields an object
 * carries replace what an earlier one said: streams report cumulative counts (Anthropic's
 * `message_start` then `message_delta`, Gemini's every chunk, OpenAI's one final chunk).
 */
export function readUsage(provider: GatewayProvider, obj: Obj, u: UsageSeen): void {
  if (!obj || typeof obj !== "object") return;
  if (provider === "anthropic") {
    const usage: Obj | undefined = obj.usage ?? obj.message?.usage;
    if (obj.message?.model ?? obj.model) u.model ??= obj.message?.model ?? obj.model;
    if (!usage) return;
    u.seen = true;
    u.input = num(usage.input_tokens) ?? u.input;
    u.output = num(usage.output_tokens) ?? u.output;
    u.cacheRead = num(usage.cache_read_input_tokens) ?? u.cacheRead;
    u.cacheWrite = num(usage.cache_creation_input_tokens) ?? u.cacheWrite;
    return;
  }
  if (provider === "openai") {
    // chat completions put `usage` on the answer (or its last chunk); Responses on `response`
    const usage: Obj | undefined = obj.usage ?? obj.response?.usage ?? undefined;
    if (!usage) return;
    u.seen = true;
    if ("prompt_tokens" in usage) {
      const cached = num(usage.prompt_tokens_details?.cached_tokens) ?? 0;
      u.input = Math.max(0, (num(usage.prompt_tokens) ?? 0) - cached);
      u.cacheRead = cached;
      u.output = num(usage.completion_tokens) ?? 0;
    } else {
      const cached = num(usage.input_tokens_details?.cached_tokens) ?? 0;
      u.input = Math.max(0, (num(usage.input_tokens) ?? 0) - cached);
      u.cacheRead = cached;
      u.output = num(usage.output_tokens) ?? 0;
    }
    return;
  }
  const usage: Obj | undefined = obj.usageMetadata;
  if (!usage) return;
  u.seen = true;
  const cached = num(usage.cachedContentTokenCount) ?? 0;
  u.input = Math.max(0, (num(usage.promptTokenCount) ?? 0) - cached);
  u.cacheRead = cached;
  u.output = (num(usage.candidatesTokenCount) ?? 0) + (num(usage.thoughtsTokenCount) ?? 0);
}

/** An OpenAI chat stream's usage-only chunk (no choices), the one `include_usage` adds. */
export const isUsageOnlyChunk = (obj: Obj) =>
  Array.isArray(obj?.choices) && obj.choices.length === 0 && obj.usage != null;
