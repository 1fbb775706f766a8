// The team's members and their roles; admins add a member or a service account, change a role or
// remove one.
import type { Member } from "@ambit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client, type Me } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { ConfirmButton } from "../components/confirm-button.tsx";
import { AddMember } from "./add-member.tsx";
import { AddServiceAccount } from "./add-service-account.tsx";
import { useMembers } from "./use-members.ts";
import { grantable, isAdmin, mayManage, type Role } from "./roles.ts";

export function Members({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const members = useMembers();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["members"] });
  // a new member's key is in the keys list too
  const added = () => {
    void refresh();
    void queryClient.invalidateQueries({ queryKey: ["api-keys"] });
  };
  const setRole = useMutation({
    // a service account is re-roled where it is managed (it is no person's membership)
    mutationFn: async (v: { uid: string; role: Role; account: boolean }) =>
      v.account
        ? client.serviceAccounts.update(v.uid, { role: v.role as Exclude<Role, "owner"> })
        : client.team.members.update(v.uid, { role: v.role }),
    onSettled: refresh,
  });
  const admin = isAdmin(me);
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {admin && <AddMember me={me} onAdded={added} />}
      {admin && <AddServiceAccount me={me} onAdded={added} />}
      <Problem error={members.error} what="Could not list the members" />
      <Problem error={setRole.error} what="The role was not changed" />
      {members.data && (
        <table className="runs" data-testid="members">
          <caption className="sr-only">Members of the team</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {admin && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {members.data.members.map((m) => (
              <MemberRow
                key={m.uid}
                m={m}
                me={me}
                onRole={(role) =>
                  setRole.mutate({ uid: m.uid, role, account: m.type === "service_account" })
                }
                onRemoved={refresh}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function MemberRow(props: {
  m: Member;
  me: Me;
  onRole: (role: Role) => void;
  onRemoved: () => void;
}) {
  const { m, me } = props;
  const name = m.display_name || m.email;
  const manage = mayManage(me, m.role);
  const account = m.type === "service_account";
  return (
    <tr data-member={m.email || m.uid} data-type={m.type}>
      <td>
        {m.display_name ?? "—"}
        {account && <span className="muted"> (service account)</span>}
      </td>
      <td>{m.email || "—"}</td>
      <td data-col="role">
        {manage ? (
          <select
            aria-label={`Role of ${name}`}
            value={m.role}
            onChange={(e) => props.onRole(e.currentTarget.value as Role)}
          >
            {grantable(me, account ? "owner" : undefined).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        ) : (
          m.role
        )}
      </td>
      <td>{formatTime(m.joined_at)}</td>
      {isAdmin(me) && (
        <td>
          {manage && (
            <ConfirmButton
              label={`Remove ${name}`}
              title={`Remove ${name} from the team?`}
              keep="Keep"
              confirm="Yes, remove them"
              pending="Removing…"
              what="The member was not removed"
              action={() =>
                account ? client.serviceAccounts.delete(m.uid) : client.team.members.remove(m.uid)
              }
              onDone={props.onRemoved}
            >
              <p>Their API keys are revoked and their personal secrets deleted.</p>
            </ConfirmButton>
          )}
        </td>
      )}
    </tr>
  );
}
