// `/integrations/$uid`: one integration — how it is set up (never a credential's value), its
// deliveries log, and for Slack "Link my account". Admins enable, disable, edit, install with
// OAuth, redeliver and delete (after a confirmation); `/integrations/$uid/edit` is its form.
import type { IntegrationItem } from "@ambit/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { ConfirmButton } from "../components/confirm-button.tsx";
import { CopyField } from "../components/copy-field.tsx";
import { DetailList } from "../components/detail-list.tsx";
import { Problem } from "../components/problem.tsx";
import { canWrite, client } from "../lib/api.ts";
import { labelOf, useChoices } from "../lib/choices.ts";
import { personName } from "../lib/format.ts";
import { useMe } from "../lib/me.ts";
import { Deliveries } from "../integrations/deliveries.tsx";
import { InstallLink } from "../integrations/install-link.tsx";
import { IntegrationForm } from "../integrations/integration-form.tsx";
import { connected, installable, KINDS } from "../integrations/kinds.ts";
import { LinkAccount } from "../integrations/link-account.tsx";
import { DELIVERY_OUTCOMES, type Outcome } from "../integrations/search.ts";
import { isAdmin } from "../team/roles.ts";
import { ViewerRefusal } from "./integrations.tsx";

const useIntegration = (uid: string, enabled: boolean) =>
  useQuery({
    queryKey: ["integrations", uid],
    queryFn: async () => client.integrations.retrieve(uid),
    enabled,
  });

export function IntegrationPage() {
  const { uid } = useParams({ from: "/app/integrations/$uid" });
  const search = useSearch({ from: "/app/integrations/$uid" });
  const navigate = useNavigate({ from: "/integrations/$uid" });
  const me = useMe().data!;
  const item = useIntegration(uid, canWrite(me));
  if (!canWrite(me)) return <ViewerRefusal me={me} what="integrations" />;
  if (item.error) return <Problem error={item.error} what="Could not load the integration" />;
  const i = item.data;
  if (!i) return <p>Loading…</p>;
  const admin = isAdmin(me);
  return (
    <>
      <div className="page-head">
        <h1>{i.name}</h1>
        {admin && <AdminActions item={i} />}
      </div>
      <Details item={i} />
      {admin && installable(i) && <InstallLink uid={uid} type={i.type} />}
      {i.type === "slack" && <LinkAccount uid={uid} />}
      <h2>Deliveries</h2>
      <div className="toolbar">
        <label>
          Outcome{" "}
          <select
            value={search.outcome ?? ""}
            onChange={(e) =>
              void navigate({
                search: e.target.value ? { outcome: e.target.value as Outcome } : {},
              })
            }
          >
            <option value="">Any</option>
            {DELIVERY_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Deliveries uid={uid} outcome={search.outcome} admin={admin} />
    </>
  );
}

function Details({ item: i }: { item: IntegrationItem }) {
  const environments = useChoices("environments");
  const d = i.run_defaults;
  const set = Object.keys(i.credentials).filter((k) => i.credentials[k]);
  const rows: Array<[string, string]> = [
    ["Type", KINDS[i.type].label],
    ["Status", i.enabled ? "Enabled" : "Disabled"],
    ["Credentials set", set.length ? set.join(", ") : "none"],
    ...(connected(i) ? [] : [["Connected", "not yet: finish the install"] as [string, string]]),
    ["Runs act as", personName(i.updated_by)],
    ["Environment", labelOf(environments.options, d.environment_id ?? undefined)],
    ["Model", d.model_id ?? "team default"],
    ["Host pool", d.worker_host ?? "platform"],
  ];
  return (
    <section className="run-header" aria-label="Integration details">
      <h2 className="sr-only">Details</h2>
      <p>Inbound URL (the sender signs what it posts here):</p>
      <CopyField value={i.inbound_url} label="Inbound URL" testId="inbound-url" />
      <DetailList rows={rows} />
      <h3>Prompt template</h3>
      <pre className="prompt">{i.prompt_template ?? "(the type's own)"}</pre>
      <h3>Settings</h3>
      <pre className="prompt">{JSON.stringify(i.settings, null, 2)}</pre>
    </section>
  );
}

function AdminActions({ item: i }: { item: IntegrationItem }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toggle = useMutation({
    mutationFn: async () => client.integrations.update(i.uid, { enabled: !i.enabled }),
    onSuccess: async (next) => {
      queryClient.setQueryData(["integrations", i.uid], next);
      await queryClient.invalidateQueries({ queryKey: ["integrations"], exact: true });
    },
  });
  return (
    <div className="run-actions">
      <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
        {i.enabled ? "Disable" : "Enable"}
      </button>
      <Link to="/integrations/$uid/edit" params={{ uid: i.uid }} className="button">
        Edit
      </Link>
      <ConfirmButton
        label="Delete"
        title={`Delete the integration ${i.name}?`}
        keep="Keep it"
        confirm="Yes, delete it"
        pending="Deleting…"
        what="The integration was not deleted"
        action={async () => client.integrations.delete(i.uid)}
        onDone={async () => {
          // gone from the list before it draws again: its last delivery would be asked for (a 404)
          queryClient.setQueryData<IntegrationItem[]>(["integrations"], (list) =>
            list?.filter((x) => x.uid !== i.uid),
          );
          await navigate({ to: "/integrations" });
          queryClient.removeQueries({ queryKey: ["integrations", i.uid] });
          queryClient.removeQueries({ queryKey: ["integration-deliveries", i.uid] });
          await queryClient.invalidateQueries({ queryKey: ["integrations"], exact: true });
        }}
      >
        <p>Its inbound URL stops answering and its delivery log goes. The runs it started stay.</p>
      </ConfirmButton>
      <Problem error={toggle.error} what="Not changed" />
    </div>
  );
}

export function EditIntegrationPage() {
  const { uid } = useParams({ from: "/app/integrations/$uid/edit" });
  const me = useMe().data!;
  const navigate = useNavigate();
  const item = useIntegration(uid, isAdmin(me));
  if (!isAdmin(me))
    return (
      <p role="alert" className="problem">
        Your role ({me.role}) may read integrations but not change them.
      </p>
    );
  if (item.error) return <Problem error={item.error} what="Could not load the integration" />;
  if (!item.data) return <p>Loading…</p>;
  return (
    <>
      <h1>Edit {item.data.name}</h1>
      <IntegrationForm
        current={item.data}
        onSaved={() => navigate({ to: "/integrations/$uid", params: { uid }, search: {} })}
      />
    </>
  );
}
