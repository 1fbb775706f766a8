import { z } from "zod";
import { Timestamp } from "./common.ts";
import { RunState } from "./runs.ts";

/** How `GET /stats/runs` splits its series: by the day a run was created, or by a field. */
export const StatsGroupBy = z.enum(["day", "source", "model", "environment", "creator", "state"]);
export type StatsGroupBy = z.infer<typeof StatsGroupBy>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isInstant = (v: string) => z.iso.datetime({ offset: true }).safeParse(v).success;
const isDate = (v: string) => DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));
const instantOrDate = z
  .string()
  .max(40)
  .refine((v) => isDate(v) || isInstant(v), {
    message: "use an RFC 3339 timestamp such as 2026-01-31T12:00:00Z or a date such as 2026-01-31",
  });

/** Whether the runtime knows `tz` as an IANA time zone. */
export const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** Query of `GET /stats/runs`; the Worker resolves the range and its cap (docs/api.md#stats). */
export const RunStatsQuery = z.object({
  from: instantOrDate
    .optional()
    .describe(
      "start of the range (inclusive): a timestamp, or a date meaning its midnight in `tz`; " +
        "default: the midnight 29 days before `to`'s day",
    ),
  to: instantOrDate
    .optional()
    .describe("end of the range (exclusive): a timestamp, or a date: that whole day; default: now"),
  group_by: StatsGroupBy.default("day"),
  tz: z
    .string()
    .max(64)
    .refine(isTimeZone, { message: "use an IANA time zone such as UTC or Europe/Paris" })
    .default("UTC")
    .describe("IANA time zone of the day buckets and of dates in from/to"),
});
export type RunStatsQuery = z.infer<typeof RunStatsQuery>;

/** A count of runs for every state (0 for the states no run is in). */
export const StateCounts = z.record(RunState, z.number().int());
export type StateCounts = z.infer<typeof StateCounts>;

/** Nearest-rank percentiles of a duration over `count` runs; null when no run has it. */
export const DurationPercentiles = z.object({
  count: z.number().int(),
  p50: z.number().int().nullable(),
  p95: z.number().int().nullable(),
});
export type DurationPercentiles = z.infer<typeof DurationPercentiles>;

export const RunStatsBucket = z.object({
  key: z
    .string()
    .nullable()
    .describe("the day (YYYY-MM-DD in `tz`) or the group's value; null: runs without one"),
  total: z.number().int(),
  by_state: StateCounts,
  success_rate: z.number().nullable(),
});
export type RunStatsBucket = z.infer<typeof RunStatsBucket>;

export const FailureReason = z.object({
  error_code: z.string().nullable(),
  message: z.string().nullable(),
  count: z.number().int(),
});
export type FailureReason = z.infer<typeof FailureReason>;

/** Answer of `GET /stats/runs`: the runs the caller can see, created in [from, to). */
export const RunStats = z.object({
  from: Timestamp,
  to: Timestamp,
  tz: z.string(),
  group_by: StatsGroupBy,
  total: z.number().int(),
  by_state: StateCounts,
  success_rate: z
    .number()
    .nullable()
    .describe("SUCCEEDED ÷ (SUCCEEDED + FAILED + ERROR), CANCELLED left out; null if none"),
  run_time_ms: DurationPercentiles.describe("started → ended, over ended runs that started"),
  queue_time_ms: DurationPercentiles.describe("created → first INPROGRESS, of runs that started"),
  failure_reasons: z
    .array(FailureReason)
    .describe("FAILED and ERROR runs by status message, most frequent first (at most 10)"),
  series: z
    .array(RunStatsBucket)
    .describe("by day: every day of the range in order; otherwise most runs first (at most 100)"),
  series_truncated: z
    .boolean()
    .describe("whether groups past the first 100 were left out (the totals count them)"),
});
export type RunStats = z.infer<typeof RunStats>;
