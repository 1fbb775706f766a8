// One page of runs; a child run sits under its parent when both are on the page.
import type { RunItem } from "@ambit/sdk";
import { Link } from "@tanstack/react-router";
import { StateBadge } from "../components/state-badge.tsx";
import { formatTime, personName, runDuration } from "../lib/format.ts";

/** Parents first, each followed by its children on this page (depth 1 marks a child). */
export function nestChildren(runs: RunItem[]): Array<{ run: RunItem; depth: number }> {
  const ids = new Set(runs.map((r) => r.run_id));
  const children = new Map<string, RunItem[]>();
  for (const r of runs)
    if (r.parent_run_id && ids.has(r.parent_run_id))
      children.set(r.parent_run_id, [...(children.get(r.parent_run_id) ?? []), r]);
  const out: Array<{ run: RunItem; depth: number }> = [];
  const visit = (r: RunItem, depth: number) => {
    out.push({ run: r, depth });
    for (const c of children.get(r.run_id) ?? []) visit(c, depth + 1);
  };
  for (const r of runs) if (!(r.parent_run_id && ids.has(r.parent_run_id))) visit(r, 0);
  return out;
}

export function RunsTable({ runs }: { runs: RunItem[] }) {
  const now = Date.now();
  return (
    <table className="runs">
      <caption className="sr-only">Runs</caption>
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col">State</th>
          <th scope="col">Source</th>
          <th scope="col">Creator</th>
          <th scope="col">Model</th>
          <th scope="col">Environment</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {nestChildren(runs).map(({ run, depth }) => (
          <tr key={run.run_id} data-run-id={run.run_id} className={depth ? "child" : undefined}>
            <td style={{ paddingLeft: `${0.5 + depth * 1.5}rem` }}>
              {depth > 0 && (
                <span role="img" aria-label="child run">
                  ↳{" "}
                </span>
              )}
              <Link to="/runs/$runId" params={{ runId: run.run_id }}>
                {run.title || run.prompt.slice(0, 80) || run.run_id}
              </Link>
            </td>
            <td>
              <StateBadge state={run.state} />
            </td>
            <td>{run.source ?? "—"}</td>
            <td>{personName(run.creator)}</td>
            <td>{run.agent_config?.model_id ?? "—"}</td>
            <td>{run.agent_config?.environment_id ?? "—"}</td>
            <td>{formatTime(run.started_at)}</td>
            <td>{runDuration(run, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
