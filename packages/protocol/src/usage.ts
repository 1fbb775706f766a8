import { z } from "zod";

/** Oz `InferenceCostBreakdownUsd`: a cost by kind of token. */
export const InferenceCostBreakdownUsd = z.object({
  input_cost_usd: z.number(),
  input_cache_read_cost_usd: z.number(),
  input_cache_write_cost_usd: z.number(),
  output_cost_usd: z.number(),
});
export type InferenceCostBreakdownUsd = z.infer<typeof InferenceCostBreakdownUsd>;

/** Oz `InferenceUsageDetail`: one model's tokens and cost. */
export const InferenceUsageDetail = z.object({
  token_count: z.object({
    input: z.number().int(),
    output: z.number().int(),
    input_cache_read: z.number().int(),
    input_cache_write: z.number().int(),
  }),
  cost_usd: InferenceCostBreakdownUsd,
  web_search_count: z.number().int(),
  web_search_cost_usd: z.number(),
});
export type InferenceUsageDetail = z.infer<typeof InferenceUsageDetail>;

const byModel = z.record(z.string(), InferenceUsageDetail);

/** Oz `ChargedUsageDetail`: one category's usage, by model. */
export const ChargedUsageDetail = z.object({
  platform_usage_usd: z.number(),
  direct_api_inference_usage: byModel.optional(),
  byok_inference_usage: byModel
    .optional()
    .describe("Ambit: every call the gateway served, with the team's own provider keys"),
  custom_endpoint_inference_usage: byModel.optional(),
});
export type ChargedUsageDetail = z.infer<typeof ChargedUsageDetail>;

/**
 * Oz `RequestUsage` of a run, summed from the gateway's ledger (docs/gateway.md): Ambit charges
 * no credits, so the credit fields are the USD ones and platform and compute cost are 0.
 */
export const RequestUsage = z.object({
  inference_cost: z.number().optional(),
  compute_cost: z.number().optional(),
  platform_cost: z.number().optional(),
  inference_cost_usd: z.number(),
  compute_cost_usd: z.number().optional(),
  platform_cost_usd: z.number().optional(),
  total_tokens: z.number().int(),
  inference_cost_breakdown_usd: InferenceCostBreakdownUsd,
  usage_by_category: z
    .record(z.string(), ChargedUsageDetail)
    .describe("by category (`primary_agent`), then by model id"),
  model_calls: z
    .number()
    .int()
    .optional()
    .describe("Ambit: the model calls the gateway recorded for the run"),
  compute_time: z
    .string()
    .optional()
    .describe(
      "Ambit: ISO-8601 duration a host was running the run (start to end, or now); `run_time` of the run",
    ),
  run_duration: z
    .string()
    .optional()
    .describe(
      "Ambit: ISO-8601 duration from the run's creation to its end (or now), waits included",
    ),
});
export type RequestUsage = z.infer<typeof RequestUsage>;
