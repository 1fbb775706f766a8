// Team: members and roles, API keys, limits, budgets, single sign-on. Admins manage them; the
// rest read.
import { useQuery } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { useMe } from "../lib/me.ts";
import { ApiKeys } from "../team/api-keys.tsx";
import { Budget } from "../team/budget.tsx";
import { Limits } from "../team/limits.tsx";
import { Members } from "../team/members.tsx";
import { Sso } from "../team/sso.tsx";
import { isAdmin } from "../team/roles.ts";

export function TeamPage() {
  const me = useMe().data!;
  const team = useQuery({ queryKey: ["team"], queryFn: async () => client.team.retrieve() });
  const admin = isAdmin(me);
  return (
    <>
      <h1>Team{team.data ? `: ${team.data.name}` : ""}</h1>
      {!admin && (
        <p className="help">
          You may read the team; its admins change members, keys, limits and budgets.
        </p>
      )}
      <Problem error={team.error} what="Could not read the team" />
      <Members me={me} />
      {admin && <ApiKeys me={me} />}
      {team.data && <Limits team={team.data} editable={admin} />}
      <Budget editable={admin} uid={me.user?.uid} />
      {admin && <Sso />}
    </>
  );
}
