// An integration's deliveries, newest first (filtered by outcome from the URL), older pages on
// request: each one's outcome, time, event, the run it made and why it was ignored or rejected.
// Admins redeliver a stored one. Re-read every 2 s while one is still being processed.
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { nextCursor, OlderButton } from "../components/older-button.tsx";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { OutcomeBadge } from "./outcome-badge.tsx";
import type { Outcome } from "./search.ts";

const PAGE = 20;

export function Deliveries(props: { uid: string; outcome?: Outcome; admin: boolean }) {
  const { uid, outcome, admin } = props;
  const queryClient = useQueryClient();
  const pages = useInfiniteQuery({
    queryKey: ["integration-deliveries", uid, outcome ?? "all"],
    queryFn: async ({ pageParam }) =>
      client.integrations.deliveries(uid, {
        limit: PAGE,
        ...(outcome ? { outcome } : {}),
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: "",
    getNextPageParam: nextCursor,
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.deliveries.some((d) => d.outcome === "received"))
        ? 2000
        : false,
  });
  const redeliver = useMutation({
    mutationFn: async (id: string) => client.integrations.redeliver(uid, id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["integration-deliveries", uid] }),
  });
  const rows = pages.data?.pages.flatMap((p) => p.deliveries) ?? [];
  return (
    <>
      <Problem error={pages.error} what="Could not read its deliveries" />
      <Problem error={redeliver.error} what="Not redelivered" />
      {pages.data && rows.length === 0 && (
        <p>{outcome ? "No deliveries with this outcome." : "No deliveries yet."}</p>
      )}
      {rows.length > 0 && (
        <table className="runs" data-testid="deliveries">
          <caption className="sr-only">Deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event</th>
              <th scope="col">Outcome</th>
              <th scope="col">Run</th>
              <th scope="col">Why</th>
              {admin && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-delivery={d.id} data-outcome={d.outcome}>
                <td>
                  <time dateTime={d.received_at}>{formatTime(d.received_at)}</time>
                  {d.redelivery_of && <span className="help"> (redelivery)</span>}
                </td>
                <td>
                  <code>{d.event}</code>
                </td>
                <td>
                  <OutcomeBadge outcome={d.outcome} />
                </td>
                <td>
                  {d.run_id ? (
                    <Link to="/runs/$runId" params={{ runId: d.run_id }}>
                      {d.run_id}
                    </Link>
                  ) : (
                    "—"
                  )}
                </td>
                <td>{d.reason ?? "—"}</td>
                {admin && (
                  <td>
                    {d.payload_available && (
                      <button
                        type="button"
                        disabled={redeliver.isPending}
                        aria-label={`Redeliver ${d.event} of ${formatTime(d.received_at)}`}
                        onClick={() => redeliver.mutate(d.id)}
                      >
                        Redeliver
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <OlderButton pages={pages} label="Older deliveries" />
    </>
  );
}
