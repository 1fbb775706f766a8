// What a run is and where it stands: state and why it waits, who and what started it, where.
import type { RunItem } from "@ambit/sdk";
import { StateBadge } from "../components/state-badge.tsx";
import { formatTime, personName, runDuration } from "../lib/format.ts";

export function RunHeader({ run, liveState }: { run: RunItem; liveState?: string }) {
  const state = liveState ?? run.state;
  const c = run.agent_config ?? {};
  const facts: Array<[string, string | undefined]> = [
    [
      "Source",
      [run.source, run.schedule ? `schedule ${run.schedule.schedule_name}` : undefined]
        .filter(Boolean)
        .join(" · "),
    ],
    ["Creator", personName(run.creator)],
    ["Model", c.model_id],
    ["Environment", c.environment_id],
    [
      "Host",
      c.worker_host ?? (run.execution_location === "LOCAL" ? "local machine" : "platform pool"),
    ],
    ["Created", formatTime(run.created_at)],
    ["Started", formatTime(run.started_at)],
    ["Duration", runDuration({ ...run, state })],
  ];
  return (
    <section className="run-header" aria-label="Run details">
      <h1>{run.title || run.run_id}</h1>
      <p className="state-line">
        <StateBadge state={state} />
        {state === "FAILED" && run.status_message?.error_code === "budget_exceeded" && (
          <strong className="budget-stopped"> Over budget.</strong>
        )}
        {run.status_message?.message && (
          <span className="status-message"> {run.status_message.message}</span>
        )}
      </p>
      <dl>
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v || "—"}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
