// The team's budgets on model spend (GET /team/budget): the three caps, this month's spend against
// them, what calls in flight hold, when the month resets, and each member's spend against their
// budget (member-budgets.tsx). Everyone reads; admins change them.
import type { TeamBudget } from "@ambit/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime, formatUsd } from "../lib/format.ts";
import { MemberBudgets } from "./member-budgets.tsx";

/** The team's budgets; the Stats page's cost section reads the same cache entry. */
export const useBudget = () =>
  useQuery({ queryKey: ["team-budget"], queryFn: async () => client.team.budget.retrieve() });

const amount = (usd: number | null) => (usd === null ? "none" : formatUsd(usd));
const percent = (spent: number, limit: number) => `${Math.round((spent / limit) * 100)}%`;

/** A field's value: empty is no budget (null); the API judges the rest, so its 400 shows. */
const usdOrNull = (v: FormDataEntryValue | null) => {
  const s = String(v ?? "").trim();
  return s === "" ? null : Number(s);
};

/** Spend against a budget: a native meter (amber past 80 %, red past 90 %) with its marks. */
function SpendMeter(props: { label: string; spent: number; limit: number | null }) {
  const { label, spent, limit } = props;
  if (limit === null)
    return (
      <p>
        {label}: {formatUsd(spent)}
      </p>
    );
  return (
    <div className="budget-meter">
      <p>
        {label}: {formatUsd(spent)} of {formatUsd(limit)} ({percent(spent, limit)})
      </p>
      <div className="budget-bar">
        <meter
          aria-label={label}
          min={0}
          max={limit}
          low={limit * 0.8}
          high={limit * 0.9}
          optimum={0}
          value={Math.min(spent, limit)}
        />
        {[80, 90, 100].map((m) => (
          <span key={m} className="budget-mark" style={{ left: `${m}%` }} aria-hidden="true">
            {m}%
          </span>
        ))}
      </div>
    </div>
  );
}

function BudgetForm({ budget }: { budget: TeamBudget }) {
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async (f: FormData) =>
      client.team.budget.update({
        monthly_usd: usdOrNull(f.get("monthly")),
        member_monthly_usd: usdOrNull(f.get("member")),
        run_max_cost_usd: usdOrNull(f.get("run")),
      }),
    onSuccess: (b) => queryClient.setQueryData(["team-budget"], b),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    save.mutate(new FormData(e.currentTarget));
  }
  const { monthly_usd: team, member_monthly_usd: member, run_max_cost_usd: run } = budget;
  const field = (name: string, text: string, value: number | null) => (
    <label>
      {text}{" "}
      <input
        name={name}
        type="number"
        step="any"
        inputMode="decimal"
        placeholder="none"
        defaultValue={value ?? ""}
      />
    </label>
  );
  return (
    <>
      <form
        className="toolbar"
        aria-label="Budgets"
        onSubmit={submit}
        key={`${team}:${member}:${run}`}
      >
        {field("monthly", "Team monthly (USD)", team)}
        {field("member", "Each member monthly (USD)", member)}
        {field("run", "Per run (USD)", run)}
        <button type="submit" disabled={save.isPending}>
          Save budgets
        </button>
        {save.isSuccess && <span role="status">Saved.</span>}
      </form>
      <p className="help">An empty field is no budget.</p>
      <Problem error={save.error} what="The budgets were not saved" />
    </>
  );
}

export function Budget({ editable, uid }: { editable: boolean; uid: string | undefined }) {
  const budget = useBudget();
  const b = budget.data;
  // the caller's own budget: theirs when an admin set one, else the team's per-member one
  const own = b?.members.find((m) => m.member_id === uid);
  return (
    <section aria-labelledby="budget-title">
      <h2 id="budget-title">Budget</h2>
      <Problem error={budget.error} what="Could not read the budgets" />
      {b && (
        <>
          <dl className="figures" data-testid="budget">
            <div>
              <dt>Team monthly</dt>
              <dd data-budget="monthly">{amount(b.monthly_usd)}</dd>
            </div>
            <div>
              <dt>Each member monthly</dt>
              <dd data-budget="member">{amount(b.member_monthly_usd)}</dd>
            </div>
            <div>
              <dt>Per run</dt>
              <dd data-budget="run">{amount(b.run_max_cost_usd)}</dd>
            </div>
            <div>
              <dt>Held by calls in flight</dt>
              <dd data-budget="reserved">{formatUsd(b.spent.reserved_usd)}</dd>
            </div>
          </dl>
          <SpendMeter
            label="Team spend this month"
            spent={b.spent.team_usd}
            limit={b.monthly_usd}
          />
          <SpendMeter
            label="Your spend this month"
            spent={b.spent.member_usd}
            limit={own ? own.monthly_usd : b.member_monthly_usd}
          />
          <p className="help">
            Monthly budgets reset {formatTime(b.period.resets_at)}; a run's cap applies to each run
            whose configuration sets no <code>max_cost_usd</code>.
          </p>
          {editable && <BudgetForm budget={b} />}
          <MemberBudgets budget={b} editable={editable} />
        </>
      )}
    </section>
  );
}
