import type { Prices } from "../../lib/model-prices.ts";

/** The output a call may produce when it names no maximum (more than most CLIs ask for). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 32_000;
/** Bytes of a request per input token, low on purpose: the estimate is a maximum. */
const BYTES_PER_TOKEN = 3;

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * The most a model call can cost, micro-USD, which the ledger holds while it runs: its output
 * maximum (`max_tokens`, `max_output_tokens`, `max_completion_tokens`, Gemini's
 * `generationConfig.maxOutputTokens`; else DEFAULT_MAX_OUTPUT_TOKENS) at the output price, and
 * its request's size as tokens at the dearer of the input and cache-write prices.
 */
export function maxCostOf(
  // biome-ignore lint/suspicious/noExplicitAny: a provider's JSON, read field by field
  body: Record<string, any> | undefined,
  bytes: number,
  prices: Prices,
): number {
  const output =
    num(body?.max_tokens) ??
    num(body?.max_output_tokens) ??
    num(body?.max_completion_tokens) ??
    num(body?.generationConfig?.maxOutputTokens) ??
    DEFAULT_MAX_OUTPUT_TOKENS;
  const input = Math.ceil(bytes / BYTES_PER_TOKEN);
  return Math.ceil(
    (input * Math.max(prices.input, prices.cacheWrite) + output * prices.output) / 1e6,
  );
}
