import type { RunStats, StatsRunsParams } from "@ambit/sdk";
import { type Command, str, UsageError, type Values } from "../command.ts";
import { clip, printJson, table } from "../output.ts";

const GROUPS = ["day", "source", "model", "environment", "creator", "state"];
const IN_FLIGHT = ["QUEUED", "PENDING", "CLAIMED", "INPROGRESS", "BLOCKED"] as const;
const COLUMNS = ["TOTAL", "SUCCEEDED", "FAILED", "ERROR", "CANCELLED", "IN FLIGHT", "SUCCESS"];

/** 850ms, 12s, 2m 05s, 1h 04m. */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
}

const percent = (rate: number | null) => (rate === null ? "-" : `${(rate * 100).toFixed(1)} %`);
const times = (t: RunStats["run_time_ms"]) =>
  `p50 ${duration(t.p50)}, p95 ${duration(t.p95)} (${t.count} runs)`;

/** The human view: the totals, the series as a table, the top failure reasons. */
export function renderStats(s: RunStats): string {
  const lines = [
    `Runs created ${s.from} – ${s.to} (${s.tz}), by ${s.group_by}`,
    `Total:       ${s.total}`,
    `Success:     ${percent(s.success_rate)} (succeeded ÷ succeeded, failed and error)`,
    `Run time:    ${times(s.run_time_ms)}`,
    `Queue time:  ${times(s.queue_time_ms)}`,
    "",
  ];
  const rows = s.series.map((b) => {
    const c = b.by_state;
    const inFlight = IN_FLIGHT.reduce((a, st) => a + c[st], 0);
    const counts = [b.total, c.SUCCEEDED, c.FAILED, c.ERROR, c.CANCELLED, inFlight].map(String);
    return [b.key ?? "(none)", ...counts, percent(b.success_rate)];
  });
  lines.push(table([s.group_by.toUpperCase(), ...COLUMNS], rows).trimEnd());
  if (s.series_truncated) lines.push("(only the 100 largest groups; the totals count them all)");
  if (s.failure_reasons.length) {
    const reasons = s.failure_reasons.map((r) => [
      String(r.count),
      r.error_code ?? "-",
      clip(r.message ?? "-", 80),
    ]);
    lines.push("", "Top failure reasons:", table(["COUNT", "CODE", "MESSAGE"], reasons).trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

/** The options of a report over a range (`stats`, `usage`), split by one of `groups`. */
export const rangeOptions = (groups: string[]): Command["options"] => ({
  from: { type: "string", value: "<date|time>", description: "start: 2026-03-01 or RFC 3339" },
  to: { type: "string", value: "<date|time>", description: "end (a date includes its day)" },
  "group-by": { type: "string", short: "g", value: "<field>", description: groups.join(", ") },
  tz: { type: "string", value: "<zone>", description: "IANA time zone of the days (UTC)" },
});

/** The API query of a range report's options; an unknown `--group-by` is a usage error. */
export function rangeQuery(values: Values, groups: string[], usage: string) {
  const group = str(values["group-by"]);
  if (group !== undefined && !groups.includes(group))
    throw new UsageError(`--group-by is one of ${groups.join(", ")}`, usage);
  return { from: str(values.from), to: str(values.to), group_by: group, tz: str(values.tz) };
}

export const stats: Command = {
  path: ["stats"],
  summary: "Run statistics: counts by state, success rate, run and queue times, failure reasons",
  description:
    "Counts the runs you can see created in [--from, --to) (default: the last 30 days; at most " +
    "92). A date means its midnight in --tz; as --to it includes that whole day. Success is " +
    "succeeded ÷ (succeeded + failed + error): cancelled runs are left out.",
  options: rangeOptions(GROUPS),
  examples: [
    "ambit stats",
    "ambit stats --from 2026-03-01 --to 2026-03-31 --tz Europe/Paris",
    "ambit stats --group-by model --json | jq '.series[] | {key, success_rate}'",
  ],
  async run({ values, client, io, json }) {
    const query = rangeQuery(values, GROUPS, "ambit stats") as StatsRunsParams;
    const answer = await client().stats.runs(query);
    if (json) return (printJson(io, answer), 0);
    io.out.write(renderStats(answer));
    return 0;
  },
};
