// `/settings/webhooks` (admins): the endpoints the team's events are POSTed to, signed per
// Standard Webhooks, each with its state; a new one's secret shown once.
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { ago } from "../lib/format.ts";
import { useMe } from "../lib/me.ts";
import { isAdmin } from "../team/roles.ts";
import { AdminsOnly } from "../webhooks/admins-only.tsx";
import { NewWebhook } from "../webhooks/new-webhook.tsx";
import { webhookStatus } from "../webhooks/status.ts";

export function WebhooksPage() {
  const me = useMe().data!;
  const list = useQuery({
    queryKey: ["webhooks"],
    queryFn: async () => (await client.webhooks.list()).webhooks,
    enabled: isAdmin(me),
  });
  if (!isAdmin(me)) return <AdminsOnly />;
  return (
    <>
      <h1>Outbound webhooks</h1>
      <p className="help">
        The team's events (runs created, changed and ended, artifacts, failed schedules and
        deliveries) POSTed to your endpoints, signed per Standard Webhooks.
      </p>
      <NewWebhook />
      <Problem error={list.error} what="Could not list webhooks" />
      {list.data?.length === 0 && <p>No webhooks yet.</p>}
      {!!list.data?.length && (
        <table className="runs" data-testid="webhooks">
          <caption className="sr-only">Outbound webhooks</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((w) => (
              <tr key={w.uid} data-webhook={w.url}>
                <td>
                  <Link to="/settings/webhooks/$uid" params={{ uid: w.uid }}>
                    {w.url}
                  </Link>
                  {w.description && <span className="help"> — {w.description}</span>}
                </td>
                <td>{w.event_types.join(", ")}</td>
                <td>
                  {webhookStatus(w)}
                  {w.failing_since && (
                    <span className="help"> (failing {ago(w.failing_since)})</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
