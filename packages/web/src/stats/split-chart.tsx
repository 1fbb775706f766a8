// A split other than by day (source, model, environment, creator, state) as horizontal bars, one
// per group, stacked by state like the day chart. The same numbers are in the table below it, and
// the figure's description names each bar's total for screen readers.
import type { RunStats } from "@ambit/protocol";
import { STACK } from "./day-chart.tsx";

const LABEL = 160;
const BAR = 420;
const ROW = 22;
/** The groups drawn; the table lists them all (up to the API's 100). */
const SHOWN = 20;

export function SplitChart({ stats }: { stats: RunStats }) {
  const groups = stats.series.slice(0, SHOWN);
  const max = Math.max(1, ...groups.map((b) => b.total));
  const height = groups.length * ROW;
  const width = LABEL + BAR + 60;
  const name = (key: string | null) => key ?? "none";
  const summary = groups.map((b) => `${name(b.key)} ${b.total}`).join(", ");
  return (
    <figure className="split-chart" data-testid="split-chart">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Runs by ${stats.group_by}: ${summary || "none"}`}
      >
        {groups.map((b, i) => {
          let x = LABEL;
          const y = i * ROW;
          return (
            <g key={b.key ?? "(none)"} data-group={b.key ?? ""} data-total={b.total}>
              <title>{`${name(b.key)}: ${b.total} runs`}</title>
              <text x={LABEL - 8} y={y + ROW / 2} textAnchor="end" dominantBaseline="middle">
                {clip(name(b.key))}
              </text>
              {STACK.map(([state, color]) => {
                const n = b.by_state[state] ?? 0;
                if (!n) return null;
                const w = (n / max) * BAR;
                const rect = (
                  <rect key={state} x={x} y={y + 3} width={w} height={ROW - 6} fill={color} />
                );
                x += w;
                return rect;
              })}
              <text x={x + 6} y={y + ROW / 2} dominantBaseline="middle">
                {b.total}
              </text>
            </g>
          );
        })}
      </svg>
      {stats.series.length > SHOWN && (
        <figcaption className="help">The {SHOWN} largest groups; the table lists all.</figcaption>
      )}
    </figure>
  );
}

/** A long name (an environment's, a creator's email) cut to fit the label column. */
const clip = (s: string) => (s.length > 24 ? `${s.slice(0, 23)}…` : s);
