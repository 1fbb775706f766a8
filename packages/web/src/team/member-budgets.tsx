// Each member's spend this month against their monthly budget (GET /team/budget `members`): an
// admin sees everyone and gives a member a budget of their own or clears it; anyone else sees
// their own line.
import type { MemberBudget, TeamBudget } from "@ambit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatUsd } from "../lib/format.ts";

const who = (m: MemberBudget) => m.email ?? `${m.name ?? m.member_id} (service account)`;
const SOURCE = { member: "their own", team: "the team's" } as const;

export function MemberBudgets({ budget, editable }: { budget: TeamBudget; editable: boolean }) {
  if (!budget.members.length) return null;
  return (
    <table className="runs" data-testid="member-budgets">
      <caption>{editable ? "Each member's spend this month" : "Your spend this month"}</caption>
      <thead>
        <tr>
          <th scope="col">Member</th>
          <th scope="col">Spent</th>
          <th scope="col">Monthly budget</th>
          <th scope="col">Used</th>
          {editable && <th scope="col">Own budget (USD)</th>}
        </tr>
      </thead>
      <tbody>
        {budget.members.map((m) => (
          <MemberBudgetRow key={m.member_id} m={m} editable={editable} />
        ))}
      </tbody>
    </table>
  );
}

function MemberBudgetRow({ m, editable }: { m: MemberBudget; editable: boolean }) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: async (usd: number | null | "clear") =>
      usd === "clear"
        ? client.team.budget.clearMember(m.member_id)
        : client.team.budget.setMember(m.member_id, { monthly_usd: usd }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["team-budget"] }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const v = String(new FormData(e.currentTarget).get("own") ?? "").trim();
    change.mutate(v === "" ? null : Number(v)); // the API judges the amount: its 400 shows
  }
  const name = who(m);
  return (
    <tr data-member-budget={m.email ?? m.member_id}>
      <th scope="row">{name}</th>
      <td data-col="spent">{formatUsd(m.spent_usd)}</td>
      <td data-col="budget">
        {m.monthly_usd === null ? "none" : formatUsd(m.monthly_usd)}
        {m.source && <span className="muted"> ({SOURCE[m.source]})</span>}
      </td>
      <td data-col="percent">{m.percent === null ? "—" : `${m.percent}%`}</td>
      {editable && (
        <td>
          <form
            className="toolbar"
            aria-label={`Budget of ${name}`}
            onSubmit={submit}
            key={`${m.source}:${m.monthly_usd}`}
          >
            <input
              name="own"
              type="number"
              step="any"
              inputMode="decimal"
              placeholder="none"
              aria-label={`Own monthly budget of ${name} (USD)`}
              defaultValue={m.source === "member" ? (m.monthly_usd ?? "") : ""}
            />
            <button type="submit" disabled={change.isPending}>
              Set
            </button>
            {m.source === "member" && (
              <button
                type="button"
                disabled={change.isPending}
                onClick={() => change.mutate("clear")}
              >
                Clear
              </button>
            )}
          </form>
          <Problem error={change.error} what={`The budget of ${name} was not changed`} />
        </td>
      )}
    </tr>
  );
}
