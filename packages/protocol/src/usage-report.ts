import { z } from "zod";
import { Timestamp } from "./common.ts";
import { RunStatsQuery } from "./stats.ts";
import { InferenceCostBreakdownUsd } from "./usage.ts";

/** How `GET /usage` splits its series: by day, or by who, what or where spent it. */
export const UsageGroupBy = z.enum(["day", "member", "model", "source", "environment", "schedule"]);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

/** Query of `GET /usage`; the Worker resolves the range and its cap (docs/api.md#usage). */
export const UsageQuery = RunStatsQuery.extend({
  group_by: UsageGroupBy.default("day"),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

/** Token counts by kind; `input` is uncached input (docs/gateway.md#usage-and-cost). */
export const UsageTokens = z.object({
  input: z.number().int(),
  output: z.number().int(),
  input_cache_read: z.number().int(),
  input_cache_write: z.number().int(),
  total: z.number().int(),
});
export type UsageTokens = z.infer<typeof UsageTokens>;

/** What a range (or one group of it) used: the ledger's model calls and the runs created. */
export const UsageTotals = z.object({
  cost_usd: z.number().describe("inference cost of the model calls, summed in micro-USD"),
  cost_breakdown_usd: InferenceCostBreakdownUsd,
  tokens: UsageTokens,
  model_calls: z.number().int().describe("model calls the gateway recorded in the range"),
  failed_model_calls: z
    .number()
    .int()
    .describe("of which the provider answered with an error (status 400 or more)"),
  runs: z.number().int().describe("runs created in the range"),
  compute_time_ms: z
    .number()
    .int()
    .describe("host time of those runs: start to end, or to now for a run still going"),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

export const UsageBucket = UsageTotals.extend({
  key: z
    .string()
    .nullable()
    .describe(
      "the day (YYYY-MM-DD in `tz`) or the group's value (member uid, model id, source, " +
        "environment or schedule id); null: runs and calls without one",
    ),
});
export type UsageBucket = z.infer<typeof UsageBucket>;

/** Answer of `GET /usage`: the team's spending in [from, to). */
export const UsageReport = z.object({
  from: Timestamp,
  to: Timestamp,
  tz: z.string(),
  group_by: UsageGroupBy,
  total: UsageTotals,
  series: z
    .array(UsageBucket)
    .describe("by day: every day of the range in order; otherwise most cost first (at most 100)"),
  series_truncated: z
    .boolean()
    .describe("whether groups past the first 100 were left out (the totals count them)"),
});
export type UsageReport = z.infer<typeof UsageReport>;
