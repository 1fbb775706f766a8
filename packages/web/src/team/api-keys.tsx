// The team's API keys (admins): never their values, only a prefix to recognise them.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client, type Me } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { ConfirmButton } from "../components/confirm-button.tsx";
import { useMembers } from "./use-members.ts";
import { NewKey } from "./new-key.tsx";

export function ApiKeys({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: async () => client.apiKeys.list() });
  // the same query as the members table: a holder reads as a name where one is known
  const members = useMembers();
  const holder = (uid: string) => {
    const m = members.data?.members.find((x) => x.uid === uid);
    if (!m) return uid;
    const name = m.display_name || m.email;
    return m.type === "service_account" ? `${name} (service account)` : name;
  };
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["api-keys"] });
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <NewKey me={me} onCreated={refresh} />
      <Problem error={keys.error} what="Could not list the keys" />
      {keys.data && (
        <table className="runs" data-testid="api-keys">
          <caption className="sr-only">API keys of the team</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Role</th>
              <th scope="col">Scopes</th>
              <th scope="col">Holder</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.api_keys.map((k) => (
              <tr key={k.uid} data-key-name={k.name} data-revoked={k.revoked_at ? "" : undefined}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.role}</td>
                <td>
                  {k.scopes.join(", ") || "none"}
                  {k.pools && <span className="muted"> (pools {k.pools.join(", ")})</span>}
                </td>
                <td>{k.agent_uid ? `named agent ${k.agent_uid}` : holder(k.principal.uid)}</td>
                <td>{formatTime(k.created_at)}</td>
                <td>{k.expires_at ? formatTime(k.expires_at) : "never"}</td>
                <td>{formatTime(k.last_used_at)}</td>
                <td>
                  {k.revoked_at ? (
                    `revoked ${formatTime(k.revoked_at)}`
                  ) : (
                    <ConfirmButton
                      label={`Revoke ${k.name}`}
                      title={`Revoke the key ${k.name}?`}
                      keep="Keep"
                      confirm="Yes, revoke it"
                      pending="Revoking…"
                      what="The key was not revoked"
                      action={() => client.apiKeys.delete(k.uid)}
                      onDone={refresh}
                    >
                      <p>Whatever uses it is refused from now on. This cannot be undone.</p>
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
