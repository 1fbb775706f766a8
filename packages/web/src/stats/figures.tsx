// The headline numbers: runs, success rate, run and queue time percentiles.
import type { RunStats } from "@ambit/protocol";
import { formatDuration } from "../lib/format.ts";

export const percent = (rate: number | null) =>
  rate === null ? "—" : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;

const ms = (v: number | null) => (v === null ? "—" : formatDuration(v));

export function Figures({ stats }: { stats: RunStats }) {
  const items: Array<[string, string, string]> = [
    ["total", "Runs", String(stats.total)],
    ["success", "Success rate", percent(stats.success_rate)],
    ["run-p50", "Run time p50", ms(stats.run_time_ms.p50)],
    ["run-p95", "Run time p95", ms(stats.run_time_ms.p95)],
    ["queue-p50", "In queue p50", ms(stats.queue_time_ms.p50)],
    ["queue-p95", "In queue p95", ms(stats.queue_time_ms.p95)],
  ];
  return <FigureList items={items} />;
}

/** Headline numbers as [id, label, value]: each value's `data-figure` is its id. */
export function FigureList(p: { items: [string, string, string][]; testId?: string }) {
  return (
    <dl className="figures" data-testid={p.testId}>
      {p.items.map(([id, label, value]) => (
        <div key={id}>
          <dt>{label}</dt>
          <dd data-figure={id}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function FailureReasons({ stats }: { stats: RunStats }) {
  if (!stats.failure_reasons.length) return <p className="empty">No failed runs in this range.</p>;
  return (
    <ol className="failure-reasons" data-testid="failure-reasons">
      {stats.failure_reasons.map((r) => (
        <li key={`${r.error_code}:${r.message}`}>
          <strong data-count={r.count}>{r.count}×</strong>{" "}
          {r.error_code && <code>{r.error_code}</code>} {r.message ?? "no message"}
        </li>
      ))}
    </ol>
  );
}
