// A schedule's last run: its state, linked to the run.
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { StateBadge } from "../components/state-badge.tsx";
import { client } from "../lib/api.ts";

export function LastResult({ runId }: { runId?: string | null }) {
  const run = useQuery({
    queryKey: ["run", runId],
    queryFn: async () => client.agent.runs.retrieve(runId!),
    enabled: !!runId,
  });
  if (!runId) return <>—</>;
  return (
    <Link to="/runs/$runId" params={{ runId }}>
      {run.data ? <StateBadge state={run.data.state} /> : "last run"}
    </Link>
  );
}
