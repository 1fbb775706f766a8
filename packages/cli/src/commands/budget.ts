import type { BudgetUpdateParams, TeamBudget } from "@ambit/sdk";
import { type Command, str, UsageError } from "../command.ts";
import { printJson } from "../output.ts";

// `ambit budget get|set`: the team's budgets on model spend (docs/gateway.md "Budgets").

const usd = (v: number | null) => (v === null ? "none" : `$${v.toFixed(2)}`);
const show = (b: TeamBudget) =>
  `${[
    `Team, monthly:       ${usd(b.monthly_usd)}  (spent ${usd(b.spent.team_usd)})`,
    `Per member, monthly: ${usd(b.member_monthly_usd)}  (you spent ${usd(b.spent.member_usd)})`,
    `Per run (default):   ${usd(b.run_max_cost_usd)}`,
    `In flight (held):    ${usd(b.spent.reserved_usd)}`,
    `Resets at:           ${b.period.resets_at}`,
  ].join("\n")}\n`;

export const budgetGet: Command = {
  path: ["budget", "get"],
  summary: "Show the team's budgets, this month's spend and when they reset",
  examples: ["ambit budget get", "ambit budget get --json | jq .spent"],
  async run({ client, io, json }) {
    const budget = await client().team.budget.retrieve();
    if (json) return (printJson(io, budget), 0);
    io.out.write(show(budget));
    return 0;
  },
};

/** A budget flag: an amount in USD, or `none` to remove the budget. */
function amount(text: string | undefined, flag: string, cmd: string) {
  if (text === undefined) return undefined;
  if (text === "none") return null;
  const n = Number(text.replace(/^\$/, ""));
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(
      `${flag} wants an amount in USD (e.g. 50 or 12.5) or none, got '${text}'`,
      cmd,
    );
  return n;
}

export const budgetSet: Command = {
  path: ["budget", "set"],
  summary: "Set or remove the team's monthly, per-member and per-run budgets (admins)",
  description:
    "Amounts are in USD; `none` removes a budget. At 100 % new runs are refused (403 budget_exceeded)\n" +
    "and a running run's next model call is refused, the run ending FAILED. See docs/gateway.md.",
  options: {
    "monthly-usd": {
      type: "string",
      value: "<usd|none>",
      description: "the team's monthly budget",
    },
    "member-monthly-usd": {
      type: "string",
      value: "<usd|none>",
      description: "each member's monthly budget (the runs they own)",
    },
    "run-max-cost-usd": {
      type: "string",
      value: "<usd|none>",
      description: "the cap of a run whose config sets no max_cost_usd",
    },
  },
  examples: [
    "ambit budget set --monthly-usd 500 --member-monthly-usd 100",
    "ambit budget set --run-max-cost-usd 5",
    "ambit budget set --member-monthly-usd none --json",
  ],
  async run({ values, client, io, json }) {
    const cmd = "ambit budget set";
    const fields = {
      monthly_usd: amount(str(values["monthly-usd"]), "--monthly-usd", cmd),
      member_monthly_usd: amount(str(values["member-monthly-usd"]), "--member-monthly-usd", cmd),
      run_max_cost_usd: amount(str(values["run-max-cost-usd"]), "--run-max-cost-usd", cmd),
    };
    const body = Object.fromEntries(
      Object.entries(fields).filter(([, v]) => v !== undefined),
    ) as BudgetUpdateParams;
    if (!Object.keys(body).length)
      throw new UsageError(
        "nothing to change: give --monthly-usd, --member-monthly-usd and/or --run-max-cost-usd",
        cmd,
      );
    const budget = await client().team.budget.update(body);
    if (json) return (printJson(io, budget), 0);
    io.out.write(show(budget));
    return 0;
  },
};
