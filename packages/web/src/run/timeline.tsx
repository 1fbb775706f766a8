// Lifecycle milestones with their times (`GET /agent/runs/{id}/timeline`).
import { useQuery } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";

export function Timeline({ runId }: { runId: string }) {
  const timeline = useQuery({
    queryKey: ["timeline", runId],
    queryFn: async () => client.agent.runs.timeline(runId),
    refetchInterval: 3_000,
  });
  if (timeline.error) return <Problem error={timeline.error} what="Could not load the timeline" />;
  if (!timeline.data) return <p>Loading…</p>;
  return (
    <ol className="timeline">
      {timeline.data.events.map((e) => (
        <li key={e.event_uuid}>
          <time dateTime={e.occurred_at}>{new Date(e.occurred_at).toLocaleTimeString()}</time>{" "}
          {e.event_type}
        </li>
      ))}
    </ol>
  );
}
