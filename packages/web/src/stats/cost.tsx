// What the range cost: the team's spending from the gateway's ledger (GET /usage) — the total,
// cost per day as bars, and the costliest models and members. Each bar has a title (hover) and
// the numbers are in the figure's label and the tables for screen readers.
import type { UsageBucket, UsageGroupBy, UsageReport } from "@ambit/protocol";
import { useQuery } from "@tanstack/react-query";
import { client } from "../lib/api.ts";
import { formatTime, formatUsd } from "../lib/format.ts";
import { useBudget } from "../team/budget.tsx";
import { useMembers } from "../team/use-members.ts";
import { FigureList } from "./figures.tsx";
import { type StatsSearch, toQuery } from "./stats-search.ts";

/** The team's usage over the screen's range, split one way. */
export const useUsage = (search: Required<StatsSearch>, groupBy: UsageGroupBy, enabled: boolean) =>
  useQuery({
    queryKey: ["usage", { ...search, group_by: groupBy }],
    queryFn: async () => client.stats.usage({ ...toQuery(search), group_by: groupBy }),
    enabled,
  });

const usd = formatUsd;
const count = (n: number) => n.toLocaleString("en-US");

const H = 100;
/** The costliest groups listed under each heading. */
const TOP = 5;

export function CostFigures({ usage }: { usage: UsageReport }) {
  const t = usage.total;
  const items: Array<[string, string, string]> = [
    ["cost", "Cost", usd(t.cost_usd)],
    ["model-calls", "Model calls", count(t.model_calls)],
    ["failed-calls", "Failed calls", count(t.failed_model_calls)],
    ["tokens", "Tokens", count(t.tokens.total)],
  ];
  return <FigureList items={items} testId="cost-figures" />;
}

/** This month's team spend against the monthly budget, when the team has one. */
export function BudgetLine() {
  const b = useBudget().data;
  if (!b || b.monthly_usd === null) return null;
  const share = Math.round((b.spent.team_usd / b.monthly_usd) * 100);
  return (
    <p className="help" data-testid="cost-budget">
      Team budget this month: {usd(b.spent.team_usd)} of {usd(b.monthly_usd)} ({share}%), resets{" "}
      {formatTime(b.period.resets_at)}.
    </p>
  );
}

export function CostChart({ series }: { series: UsageBucket[] }) {
  const max = Math.max(...series.map((b) => b.cost_usd), 0);
  const bar = Math.max(4, Math.min(24, Math.floor(720 / Math.max(1, series.length)) - 2));
  const width = series.length * (bar + 2);
  const spent = series.filter((b) => b.cost_usd > 0);
  const summary = spent.map((b) => `${b.key} ${usd(b.cost_usd)}`).join(", ");
  return (
    <figure className="day-chart" data-testid="cost-chart">
      <svg
        width={width}
        height={H + 4}
        viewBox={`0 0 ${width} ${H + 4}`}
        role="img"
        aria-label={`Cost per day: ${summary || "nothing spent"}`}
      >
        {series.map((b, i) => {
          const h = max > 0 ? (b.cost_usd / max) * H : 0;
          return (
            <g key={b.key ?? i} data-cost-day={b.key} data-cost={b.cost_usd}>
              <title>{`${b.key}: ${usd(b.cost_usd)}, ${count(b.model_calls)} model calls`}</title>
              {h > 0 && (
                <rect x={i * (bar + 2)} y={H - h} width={bar} height={h} fill="var(--accent)" />
              )}
            </g>
          );
        })}
        <line x1={0} x2={width} y1={H + 0.5} y2={H + 0.5} stroke="var(--line)" />
      </svg>
    </figure>
  );
}

/** The costliest groups of a split (model or member), most cost first. */
export function TopCost({ usage, label }: { usage: UsageReport; label: string }) {
  const members = useMembers();
  const nameOf = (key: string | null) => {
    if (key === null) return <em>none</em>;
    if (usage.group_by !== "member") return key;
    const m = members.data?.members.find((x) => x.uid === key);
    return m?.display_name || m?.email || key;
  };
  const rows = usage.series.filter((b) => b.cost_usd > 0 || b.model_calls > 0).slice(0, TOP);
  if (!rows.length) return <p className="empty">No model calls in this range.</p>;
  return (
    <table className="runs" data-testid={`top-${usage.group_by}`}>
      <caption className="sr-only">Cost by {usage.group_by}</caption>
      <thead>
        <tr>
          <th scope="col">{label}</th>
          <th scope="col">Cost</th>
          <th scope="col">Model calls</th>
          <th scope="col">Tokens</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((b) => (
          <tr key={b.key ?? "(none)"} data-key={b.key ?? ""}>
            <th scope="row">{nameOf(b.key)}</th>
            <td data-col="cost">{usd(b.cost_usd)}</td>
            <td data-col="calls">{count(b.model_calls)}</td>
            <td data-col="tokens">{count(b.tokens.total)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
