// The series as a table: one row per day or group, its total, the terminal states, success rate.
import type { RunStats } from "@ambit/protocol";
import { percent } from "./figures.tsx";

const COLS = ["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"] as const;

export function SplitTable({ stats }: { stats: RunStats }) {
  const label =
    stats.group_by === "day" ? "Day" : stats.group_by.replace(/^./, (c) => c.toUpperCase());
  return (
    <>
      <table className="runs" data-testid="split">
        <caption className="sr-only">Runs by {stats.group_by}</caption>
        <thead>
          <tr>
            <th scope="col">{label}</th>
            <th scope="col">Runs</th>
            {COLS.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            <th scope="col">Success rate</th>
          </tr>
        </thead>
        <tbody>
          {stats.series.map((b) => (
            <tr key={b.key ?? "(none)"} data-key={b.key ?? ""}>
              <th scope="row">{b.key ?? <em>none</em>}</th>
              <td data-col="total">{b.total}</td>
              {COLS.map((c) => (
                <td key={c} data-col={c}>
                  {b.by_state[c] ?? 0}
                </td>
              ))}
              <td data-col="success">{percent(b.success_rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {stats.series_truncated && <p className="help">Only the 100 largest groups are listed.</p>}
    </>
  );
}
