// Runs per day stacked by state: a small SVG of our own (no chart library). Each bar has a title
// (hover) and the same numbers are in the table below it for screen readers.
import type { RunStatsBucket } from "@ambit/protocol";

/** Stack order, bottom up, and each state's colour variable. */
export const STACK = [
  ["SUCCEEDED", "var(--ok)"],
  ["FAILED", "var(--bad)"],
  ["ERROR", "var(--warn)"],
  ["CANCELLED", "var(--muted)"],
  ["BLOCKED", "#8250df"],
  ["INPROGRESS", "var(--live)"],
  ["CLAIMED", "var(--accent)"],
  ["PENDING", "var(--line)"],
  ["QUEUED", "var(--line)"],
] as const;

const H = 140;

export function DayChart({ series }: { series: RunStatsBucket[] }) {
  const max = Math.max(1, ...series.map((b) => b.total));
  const bar = Math.max(4, Math.min(24, Math.floor(720 / Math.max(1, series.length)) - 2));
  const width = series.length * (bar + 2);
  return (
    <figure className="day-chart">
      <svg
        width={width}
        height={H + 4}
        viewBox={`0 0 ${width} ${H + 4}`}
        role="img"
        aria-label={`Runs per day, most ${max}`}
      >
        {series.map((b, i) => {
          let y = H;
          return (
            <g key={b.key ?? i} data-day={b.key} data-total={b.total}>
              <title>{`${b.key}: ${b.total} runs${describe(b)}`}</title>
              {STACK.map(([state, color]) => {
                const n = b.by_state[state] ?? 0;
                if (!n) return null;
                const h = (n / max) * H;
                y -= h;
                return (
                  <rect key={state} x={i * (bar + 2)} y={y} width={bar} height={h} fill={color} />
                );
              })}
            </g>
          );
        })}
        <line x1={0} x2={width} y1={H + 0.5} y2={H + 0.5} stroke="var(--line)" />
      </svg>
      <figcaption className="legend">
        {STACK.slice(0, 6).map(([state, color]) => (
          <span key={state}>
            <i style={{ background: color }} /> {state}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function describe(b: RunStatsBucket): string {
  const parts = STACK.filter(([s]) => b.by_state[s]).map(([s]) => `${b.by_state[s]} ${s}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
