// `/settings/webhooks/$uid` (admins): one outbound webhook — edit its URL, events and description,
// enable or disable it, send a test event, delete it (after a confirmation), and its deliveries
// with their attempts.
import type { WebhookItem } from "@ambit/sdk";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useParams } from "@tanstack/react-router";
import { useState } from "react";
import { ConfirmButton } from "../components/confirm-button.tsx";
import { DetailList } from "../components/detail-list.tsx";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { useMe } from "../lib/me.ts";
import { isAdmin } from "../team/roles.ts";
import { AdminsOnly } from "../webhooks/admins-only.tsx";
import { EditWebhook } from "../webhooks/edit-webhook.tsx";
import { webhookStatus } from "../webhooks/status.ts";
import { WebhookDeliveries, webhookDeliveriesKey } from "../webhooks/webhook-deliveries.tsx";

export function WebhookPage() {
  const { uid } = useParams({ from: "/app/settings/webhooks/$uid" });
  const me = useMe().data!;
  const [editing, setEditing] = useState(false);
  const hook = useQuery({
    queryKey: ["webhooks", uid],
    queryFn: async () => client.webhooks.get(uid),
    enabled: isAdmin(me),
  });
  if (!isAdmin(me)) return <AdminsOnly />;
  if (hook.error) return <Problem error={hook.error} what="Could not load the webhook" />;
  const w = hook.data;
  if (!w) return <p>Loading…</p>;
  return (
    <>
      <div className="page-head">
        <h1>Webhook</h1>
        <Actions hook={w} onEdit={() => setEditing(true)} />
      </div>
      {editing && <EditWebhook hook={w} onDone={() => setEditing(false)} />}
      <section className="run-header" aria-label="Webhook details">
        <p>
          Events are POSTed to <code data-testid="webhook-url">{w.url}</code>
        </p>
        <DetailList
          rows={[
            ["Events", w.event_types.join(", ")],
            ["Description", w.description ?? "—"],
            ["Status", webhookStatus(w)],
            ["Failing since", formatTime(w.failing_since)],
            ["Created", formatTime(w.created_at)],
          ]}
        />
      </section>
      <h2>Deliveries</h2>
      <WebhookDeliveries uid={uid} />
    </>
  );
}

function Actions({ hook: w, onEdit }: { hook: WebhookItem; onEdit: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toggle = useMutation({
    mutationFn: async () => client.webhooks.update(w.uid, { enabled: !w.enabled }),
    onSuccess: async (next) => {
      queryClient.setQueryData(["webhooks", w.uid], next);
      await queryClient.invalidateQueries({ queryKey: ["webhooks"], exact: true });
    },
  });
  const test = useMutation({
    mutationFn: async () => client.webhooks.test(w.uid),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookDeliveriesKey(w.uid) }),
  });
  return (
    <div className="run-actions">
      <button type="button" onClick={onEdit}>
        Edit
      </button>
      <button type="button" disabled={test.isPending} onClick={() => test.mutate()}>
        Send test event
      </button>
      <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
        {w.enabled ? "Disable" : "Enable"}
      </button>
      <ConfirmButton
        label="Delete"
        title="Delete this webhook?"
        keep="Keep it"
        confirm="Yes, delete it"
        pending="Deleting…"
        what="The webhook was not deleted"
        action={async () => client.webhooks.delete(w.uid)}
        onDone={async () => {
          await navigate({ to: "/settings/webhooks" });
          queryClient.removeQueries({ queryKey: ["webhooks", w.uid] });
          await queryClient.invalidateQueries({ queryKey: ["webhooks"], exact: true });
        }}
      >
        <p>
          <code>{w.url}</code> hears of no more events, and its deliveries are deleted.
        </p>
      </ConfirmButton>
      <Problem error={toggle.error} what="Not changed" />
      <Problem error={test.error} what="No test event sent" />
    </div>
  );
}
