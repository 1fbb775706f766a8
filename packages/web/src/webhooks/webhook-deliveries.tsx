// An outbound webhook's deliveries, newest first, each with its attempts (status or error,
// latency, the answer's first bytes) unfolded on request; resend one (same `webhook-id`). Re-read
// every 2 s while one is pending or waiting for a retry.
import type { WebhookDeliveryItem } from "@ambit/sdk";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { nextCursor, OlderButton } from "../components/older-button.tsx";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";

const TONE = { pending: "live", succeeded: "ok", failed: "warn", gave_up: "bad" } as const;

export const webhookDeliveriesKey = (uid: string) => ["webhook-deliveries", uid] as const;

export function WebhookDeliveries({ uid }: { uid: string }) {
  const queryClient = useQueryClient();
  const pages = useInfiniteQuery({
    queryKey: webhookDeliveriesKey(uid),
    queryFn: async ({ pageParam }) =>
      client.webhooks.deliveries(uid, { limit: 20, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: "",
    getNextPageParam: nextCursor,
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) =>
        p.deliveries.some((d) => d.status === "pending" || d.status === "failed"),
      )
        ? 2000
        : false,
  });
  const resend = useMutation({
    mutationFn: async (id: string) => client.webhooks.resend(uid, id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookDeliveriesKey(uid) }),
  });
  const rows = pages.data?.pages.flatMap((p) => p.deliveries) ?? [];
  return (
    <>
      <Problem error={pages.error} what="Could not read its deliveries" />
      <Problem error={resend.error} what="Not resent" />
      {pages.data && rows.length === 0 && <p>No deliveries yet.</p>}
      {rows.length > 0 && (
        <table className="runs" data-testid="webhook-deliveries">
          <caption className="sr-only">Deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-delivery={d.id} data-status={d.status}>
                <td>{formatTime(d.created_at)}</td>
                <td>
                  <code>{d.event_type}</code>
                </td>
                <td>
                  <span className={`badge ${TONE[d.status]}`}>{d.status.replace("_", " ")}</span>
                  {d.next_attempt_at && (
                    <span className="help"> next {formatTime(d.next_attempt_at)}</span>
                  )}
                </td>
                <td>
                  <Attempts delivery={d} />
                </td>
                <td>
                  <button
                    type="button"
                    disabled={resend.isPending}
                    aria-label={`Resend ${d.event_type} of ${formatTime(d.created_at)}`}
                    onClick={() => resend.mutate(d.id)}
                  >
                    Resend
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <OlderButton pages={pages} label="Older deliveries" />
    </>
  );
}

function Attempts({ delivery: d }: { delivery: WebhookDeliveryItem }) {
  if (!d.attempts.length) return <span className="muted">none yet</span>;
  return (
    <details>
      <summary>
        {d.attempt_count} attempt{d.attempt_count === 1 ? "" : "s"}
      </summary>
      <ol className="attempts">
        {d.attempts.map((a) => (
          <li key={a.at} data-attempt-status={a.http_status ?? "none"}>
            {formatTime(a.at)}: {a.http_status ? `HTTP ${a.http_status}` : (a.error ?? "no answer")}{" "}
            in {a.latency_ms} ms
            {a.response_body && <pre>{a.response_body}</pre>}
          </li>
        ))}
      </ol>
    </details>
  );
}
