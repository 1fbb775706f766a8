// An integration's last delivery in the list: its outcome and when, or that none came yet.
import { useQuery } from "@tanstack/react-query";
import { client } from "../lib/api.ts";
import { ago } from "../lib/format.ts";
import { OutcomeBadge } from "./outcome-badge.tsx";

export function LastDelivery({ uid }: { uid: string }) {
  const last = useQuery({
    queryKey: ["integration-deliveries", uid, "last"],
    queryFn: async () => (await client.integrations.deliveries(uid, { limit: 1 })).deliveries[0],
  });
  if (last.error) return <span className="muted">—</span>;
  if (!last.data) return <span className="muted">{last.isPending ? "…" : "none yet"}</span>;
  return (
    <>
      <OutcomeBadge outcome={last.data.outcome} />{" "}
      <time dateTime={last.data.received_at}>{ago(last.data.received_at)}</time>
    </>
  );
}
