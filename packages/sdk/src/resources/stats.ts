import type { RunStats, RunStatsQuery, UsageQuery, UsageReport } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";

export type StatsRunsParams = z.input<typeof RunStatsQuery>;
export type StatsUsageParams = z.input<typeof UsageQuery>;
export type { RunStats, UsageReport };

/** `client.stats`: aggregates over the team's runs and their spending, for dashboards. */
export class Stats extends APIResource {
  /**
   * Counts by state, success rate, run and queue time percentiles, top failure reasons and a
   * series, over the runs the caller can see created in [from, to) (default: the last 30 days;
   * at most 92). Dates are midnights in `tz`; a date as `to` includes that day.
   *
   * @example
   * const week = await client.stats.runs({
   *   from: "2026-03-01", to: "2026-03-07", group_by: "model", tz: "Europe/Paris",
   * });
   * console.log(week.success_rate, week.run_time_ms.p95, week.series.map((b) => b.key));
   */
  runs(query: StatsRunsParams = {}, options?: RequestOptions) {
    return this._client.get<RunStats>("/stats/runs", { ...options, query });
  }

  /**
   * What the team spent in [from, to) (default: the last 30 days; at most 366): tokens by kind,
   * cost in USD, model calls (and failed ones) from the gateway's ledger, runs created and their
   * compute time, in total and as a series by day, member, model, source, environment or schedule.
   *
   * @example
   * const march = await client.stats.usage({
   *   from: "2026-03-01", to: "2026-03-31", group_by: "model",
   * });
   * console.log(march.total.cost_usd, march.series.map((b) => [b.key, b.cost_usd]));
   */
  usage(query: StatsUsageParams = {}, options?: RequestOptions) {
    return this._client.get<UsageReport>("/usage", { ...options, query });
  }
}
