import type { StatsUsageParams, UsageReport } from "@ambit/sdk";
import type { Command } from "../command.ts";
import { printJson, table } from "../output.ts";
import { duration, rangeQuery, rangeOptions } from "./stats.ts";

const GROUPS = ["day", "member", "model", "source", "environment", "schedule"];
const COLUMNS = ["COST USD", "CALLS", "FAILED", "INPUT", "OUTPUT", "CACHE R", "CACHE W", "RUNS"];

/** $0.0143 below a cent, $12.35 above: small agent calls stay visible. */
export const usd = (n: number) => (n !== 0 && Math.abs(n) < 0.01 ? n.toFixed(4) : n.toFixed(2));
/** 12,345 */
const count = (n: number) => n.toLocaleString("en-US");

type Totals = UsageReport["total"];
const cells = (t: Totals) => [
  usd(t.cost_usd),
  count(t.model_calls),
  count(t.failed_model_calls),
  count(t.tokens.input),
  count(t.tokens.output),
  count(t.tokens.input_cache_read),
  count(t.tokens.input_cache_write),
  count(t.runs),
  duration(t.compute_time_ms),
];

/** The human view: the totals, then the series as a table. */
export function renderUsage(u: UsageReport): string {
  const t = u.total;
  const lines = [
    `Usage ${u.from} – ${u.to} (${u.tz}), by ${u.group_by}`,
    `Cost:         $${usd(t.cost_usd)}`,
    `Model calls:  ${count(t.model_calls)} (${count(t.failed_model_calls)} failed)`,
    `Tokens:       ${count(t.tokens.total)} (input ${count(t.tokens.input)}, output ` +
      `${count(t.tokens.output)}, cache read ${count(t.tokens.input_cache_read)}, cache write ` +
      `${count(t.tokens.input_cache_write)})`,
    `Runs:         ${count(t.runs)} created, compute ${duration(t.compute_time_ms)}`,
    "",
  ];
  const rows = u.series.map((b) => [b.key ?? "(none)", ...cells(b)]);
  lines.push(table([u.group_by.toUpperCase(), ...COLUMNS, "COMPUTE"], rows).trimEnd());
  if (u.series_truncated) lines.push("(only the 100 costliest groups; the totals count them all)");
  return `${lines.join("\n")}\n`;
}

export const usage: Command = {
  path: ["usage"],
  summary: "What the team spent: tokens, cost, model calls, runs and compute time",
  description:
    "Sums the model calls the gateway recorded in [--from, --to) and the runs created in it " +
    "(default: the last 30 days; at most 366), for the whole team. A date means its midnight in " +
    "--tz; as --to it includes that whole day.",
  options: rangeOptions(GROUPS),
  examples: [
    "ambit usage",
    "ambit usage --from 2026-03-01 --to 2026-03-31 --group-by model",
    "ambit usage --group-by member --json | jq '.series[] | {key, cost_usd}'",
  ],
  async run({ values, client, io, json }) {
    const query = rangeQuery(values, GROUPS, "ambit usage") as StatsUsageParams;
    const answer = await client().stats.usage(query);
    if (json) return (printJson(io, answer), 0);
    io.out.write(renderUsage(answer));
    return 0;
  },
};
