// `/integrations`: the systems that start runs (GitHub, signed webhooks, Slack, Linear), each with
// its inbound URL and last delivery; `/integrations/new` (admins): create one, its generated secret
// shown once, then the OAuth install for Slack and Linear apps. Members read; viewers may not.
import type { CreateIntegrationResponse, IntegrationItem } from "@ambit/protocol";
import { useQuery } from "@tanstack/react-query";
import { Link, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { CopyField } from "../components/copy-field.tsx";
import { Problem } from "../components/problem.tsx";
import { canWrite, client, type Me } from "../lib/api.ts";
import { useMe } from "../lib/me.ts";
import { InstallLink } from "../integrations/install-link.tsx";
import { IntegrationForm } from "../integrations/integration-form.tsx";
import { type ConnectMode, KINDS } from "../integrations/kinds.ts";
import { LastDelivery } from "../integrations/last-delivery.tsx";
import { KeyOnce } from "../team/key-once.tsx";
import { isAdmin } from "../team/roles.ts";

export const integrationsQuery = {
  queryKey: ["integrations"],
  queryFn: async () => (await client.integrations.list()).integrations,
};

/** Integrations are read by members and above (the API refuses viewers). */
export function ViewerRefusal({ me, what }: { me: Me; what: string }) {
  return (
    <p role="alert" className="problem">
      Your role ({me.role}) may not read {what}; ask an admin of the team.
    </p>
  );
}

export function IntegrationsPage() {
  const me = useMe().data!;
  const list = useQuery({ ...integrationsQuery, enabled: canWrite(me) });
  if (!canWrite(me)) return <ViewerRefusal me={me} what="integrations" />;
  return (
    <>
      <div className="page-head">
        <h1>Integrations</h1>
        {isAdmin(me) && (
          <Link to="/integrations/new" search={{}} className="button primary">
            New integration
          </Link>
        )}
      </div>
      <p className="help">
        Other systems that start runs: each posts signed deliveries to its inbound URL.
      </p>
      <Problem error={list.error} what="Could not list integrations" />
      {list.data?.length === 0 && <p>No integrations yet.</p>}
      {!!list.data?.length && <IntegrationsTable items={list.data} />}
    </>
  );
}

function IntegrationsTable({ items }: { items: IntegrationItem[] }) {
  return (
    <table className="runs" data-testid="integrations">
      <caption className="sr-only">Integrations of the team</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">Inbound URL</th>
          <th scope="col">Last delivery</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.uid} data-integration={i.name}>
            <td>
              <Link to="/integrations/$uid" params={{ uid: i.uid }} search={{}}>
                {i.name}
              </Link>
            </td>
            <td>{KINDS[i.type].label}</td>
            <td>{i.enabled ? "Enabled" : "Disabled"}</td>
            <td>
              <CopyField value={i.inbound_url} label={`Inbound URL of ${i.name}`} />
            </td>
            <td>
              <LastDelivery uid={i.uid} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function NewIntegrationPage() {
  const me = useMe().data!;
  const search = useSearch({ from: "/app/integrations/new" });
  const [created, setCreated] = useState<{ item: CreateIntegrationResponse; mode: ConnectMode }>();
  if (!isAdmin(me))
    return (
      <p role="alert" className="problem">
        Your role ({me.role}) may read integrations but not create them.
      </p>
    );
  if (created) return <Created {...created} />;
  return (
    <>
      <h1>New integration</h1>
      <IntegrationForm
        initialType={search.type}
        onSaved={(item, mode) => setCreated({ item: item as CreateIntegrationResponse, mode })}
      />
    </>
  );
}

/** What a create answered, once: the generated secret, where to send deliveries, the install. */
function Created({ item, mode }: { item: CreateIntegrationResponse; mode: ConnectMode }) {
  const generated = Object.entries(item.generated_credentials ?? {});
  return (
    <>
      <h1>{item.name} is created</h1>
      {generated.map(([name, value]) => (
        <KeyOnce key={name} value={value} label={`Generated ${name}`} testId={`generated-${name}`}>
          Its <code>{name}</code>: give it to the sender now, it is not shown again.
        </KeyOnce>
      ))}
      <p>The sender posts its deliveries to:</p>
      <CopyField value={item.inbound_url} label="Inbound URL" testId="inbound-url" />
      {mode.oauth && <InstallLink uid={item.uid} type={item.type} />}
      <p>
        <Link to="/integrations/$uid" params={{ uid: item.uid }} search={{}}>
          Go to {item.name}
        </Link>
      </p>
    </>
  );
}
