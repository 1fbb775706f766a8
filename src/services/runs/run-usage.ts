import type { InferenceUsageDetail, RequestUsage } from "@ambit/protocol";
import { sql } from "drizzle-orm";
import { runs } from "../../db/schema.ts";
import { isoDuration } from "../../lib/time.ts";

/** A run's ledger summed by model and category (micro-USD), as `usageJson` answers it. */
export type UsageLine = {
  modelId: string;
  category: string;
  calls: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  inputCost: number;
  outputCost: number;
  cacheReadCost: number;
  cacheWriteCost: number;
};

/**
 * The run's model calls summed by model and category, as one JSON column, so a run (or a page of
 * runs) and its usage come back in one D1 round trip. The lookup goes by `model_calls_run`: the
 * `+` keeps SQLite off `model_calls_team_created`, which it would otherwise pick (no statistics)
 * and read every model call of the team for each run.
 */
export const usageJson = sql<string | null>`(SELECT json_group_array(json_object(
  'modelId', u.model_id, 'category', u.category, 'calls', u.calls,
  'input', u.input, 'output', u.output, 'cacheRead', u.cache_read, 'cacheWrite', u.cache_write,
  'inputCost', u.input_cost, 'outputCost', u.output_cost,
  'cacheReadCost', u.cache_read_cost, 'cacheWriteCost', u.cache_write_cost))
  FROM (SELECT model_id, category, count(*) AS calls,
    sum(input_tokens) AS input, sum(output_tokens) AS output,
    sum(cache_read_tokens) AS cache_read, sum(cache_write_tokens) AS cache_write,
    sum(input_cost) AS input_cost, sum(output_cost) AS output_cost,
    sum(cache_read_cost) AS cache_read_cost, sum(cache_write_cost) AS cache_write_cost
    FROM model_calls m WHERE m.run_id = ${runs.id} AND +m.team_id = ${runs.teamId}
    GROUP BY model_id, category ORDER BY model_id, category) u)`;

export const parseUsage = (json: string | null): UsageLine[] => (json ? JSON.parse(json) : []);

const usd = (micros: number) => micros / 1e6;

const breakdown = (
  l: Pick<UsageLine, "inputCost" | "outputCost" | "cacheReadCost" | "cacheWriteCost">,
) => ({
  input_cost_usd: usd(l.inputCost),
  input_cache_read_cost_usd: usd(l.cacheReadCost),
  input_cache_write_cost_usd: usd(l.cacheWriteCost),
  output_cost_usd: usd(l.outputCost),
});

/**
 * Oz `request_usage` of a run from its ledger lines: totals, the cost by kind of token, and by
 * category then model (all under `byok_inference_usage`: the gateway calls with the team's keys).
 * Sums are taken in micro-USD and turned into USD once, so they add up exactly.
 */
export function toRequestUsage(
  lines: UsageLine[],
  times: { createdAt: number; startedAt: number | null; endedAt: number | null },
): RequestUsage {
  const sum = (k: keyof Omit<UsageLine, "modelId" | "category">) =>
    lines.reduce((n, l) => n + l[k], 0);
  const totalMicros =
    sum("inputCost") + sum("outputCost") + sum("cacheReadCost") + sum("cacheWriteCost");
  const byCategory: RequestUsage["usage_by_category"] = {};
  for (const l of lines) {
    const c = (byCategory[l.category] ??= { platform_usage_usd: 0, byok_inference_usage: {} });
    const detail: InferenceUsageDetail = {
      token_count: {
        input: l.input,
        output: l.output,
        input_cache_read: l.cacheRead,
        input_cache_write: l.cacheWrite,
      },
      cost_usd: breakdown(l),
      web_search_count: 0,
      web_search_cost_usd: 0,
    };
    c.byok_inference_usage![l.modelId] = detail;
  }
  const end = times.endedAt ?? Date.now();
  return {
    inference_cost: usd(totalMicros),
    compute_cost: 0,
    platform_cost: 0,
    inference_cost_usd: usd(totalMicros),
    compute_cost_usd: 0,
    platform_cost_usd: 0,
    total_tokens: sum("input") + sum("output") + sum("cacheRead") + sum("cacheWrite"),
    inference_cost_breakdown_usd: breakdown({
      inputCost: sum("inputCost"),
      outputCost: sum("outputCost"),
      cacheReadCost: sum("cacheReadCost"),
      cacheWriteCost: sum("cacheWriteCost"),
    }),
    usage_by_category: byCategory,
    model_calls: sum("calls"),
    ...(times.startedAt !== null ? { compute_time: isoDuration(end - times.startedAt) } : {}),
    run_duration: isoDuration(end - times.createdAt),
  };
}
