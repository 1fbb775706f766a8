import type { Ambit, BudgetUpdateParams, MemberBudget, TeamBudget } from "@ambit/sdk";
import { CliError, type Command, str, UsageError } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson } from "../output.ts";

// `ambit budget get|set`: the team's budgets on model spend (docs/gateway.md "Budgets").

const usd = (v: number | null) => (v === null ? "none" : `$${v.toFixed(2)}`);
/** One member's line: who, what they spent of their budget, and whose budget it is. */
const memberLine = (m: MemberBudget) => {
  const who = m.email ?? `${m.name ?? m.member_id} (service account)`;
  const of =
    m.monthly_usd === null
      ? "no budget"
      : `of ${usd(m.monthly_usd)} (${m.percent} %, ${m.source === "member" ? "own" : "team's"})`;
  return `  ${who.padEnd(32)} ${usd(m.spent_usd)} ${of}`;
};
const show = (b: TeamBudget) =>
  `${[
    `Team, monthly:       ${usd(b.monthly_usd)}  (spent ${usd(b.spent.team_usd)})`,
    `Per member, monthly: ${usd(b.member_monthly_usd)}  (you spent ${usd(b.spent.member_usd)})`,
    `Per run (default):   ${usd(b.run_max_cost_usd)}`,
    `In flight (held):    ${usd(b.spent.reserved_usd)}`,
    `Resets at:           ${b.period.resets_at}`,
    ...(b.members.length ? ["Members this month:", ...b.members.map(memberLine)] : []),
  ].join("\n")}\n`;

export const budgetGet: Command = {
  path: ["budget", "get"],
  summary: "Show the team's budgets, this month's spend (each member's, for admins) and resets",
  examples: ["ambit budget get", "ambit budget get --json | jq .spent"],
  async run({ client, io, json }) {
    const budget = await client().team.budget.retrieve();
    if (json) return (printJson(io, budget), 0);
    io.out.write(show(budget));
    return 0;
  },
};

const TEAM_FLAGS = ["monthly-usd", "member-monthly-usd", "run-max-cost-usd"];

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

/** A member by uid, email or (a service account) name, as the team's member list has them. */
async function memberUid(api: Ambit, who: string, cmd: string): Promise<string> {
  const { members } = await api.team.members.list();
  const lower = who.toLowerCase();
  const m = members.find(
    (x) =>
      x.uid === who ||
      (x.email && x.email.toLowerCase() === lower) ||
      (x.type === "service_account" && x.display_name === who),
  );
  if (!m)
    throw new CliError(
      `no member of this team is '${who}'`,
      EXIT.USAGE,
      `give a member's email or uid, or a service account's name (ambit team members; ${cmd})`,
    );
  return m.uid;
}

/** `--member <who> <usd|none>` or `--member <who> --clear`: one member's own budget. */
async function setMember(
  ctx: Parameters<Command["run"]>[0],
  who: string,
  cmd: string,
): Promise<MemberBudget> {
  const { values, positionals, client } = ctx;
  const clear = values.clear === true;
  if (clear === (positionals.length === 1))
    throw new UsageError(
      "with --member, give the amount (e.g. 50, or none for no budget) or --clear, not both",
      cmd,
    );
  const api = client();
  const uid = await memberUid(api, who, cmd);
  if (clear) return api.team.budget.clearMember(uid);
  const monthly = amount(positionals[0], "the amount after --member", cmd) ?? null;
  return api.team.budget.setMember(uid, { monthly_usd: monthly });
}

export const budgetSet: Command = {
  path: ["budget", "set"],
  summary: "Set or remove the team's budgets, or one member's own (admins)",
  args: "[<usd|none>]",
  maxArgs: 1,
  description:
    "Amounts are in USD; `none` removes a budget. At 100 % new runs are refused (403 budget_exceeded)\n" +
    "and a running run's next model call is refused, the run ending FAILED. See docs/gateway.md.\n" +
    "--member <email|uid> <usd|none> gives one member (or service account) a monthly budget of\n" +
    "their own in place of --member-monthly-usd (none: no monthly budget for them); --clear\n" +
    "puts them back under the team's. A change holds running runs from their next model call.",
  options: {
    member: {
      type: "string",
      value: "<email|uid>",
      description: "one member's own monthly budget (the amount follows), by email, uid or name",
    },
    clear: {
      type: "boolean",
      description: "with --member: remove their own budget (the team's per-member one applies)",
    },
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
    "ambit budget set --member ada@example.com 250",
    "ambit budget set --member ada@example.com --clear",
    "ambit budget set --run-max-cost-usd 5",
    "ambit budget set --member-monthly-usd none --json",
  ],
  async run(ctx) {
    const { values, client, io, json, positionals } = ctx;
    const cmd = "ambit budget set";
    const who = str(values.member);
    if (who !== undefined) {
      if (TEAM_FLAGS.some((f) => values[f] !== undefined))
        throw new UsageError("--member sets one member's budget: set the team's on its own", cmd);
      const member = await setMember(ctx, who, cmd);
      if (json) return (printJson(io, member), 0);
      io.out.write(`${memberLine(member).trim()}\n`);
      return 0;
    }
    if (values.clear !== undefined || positionals.length)
      throw new UsageError("an amount or --clear goes with --member <email|uid>", cmd);
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
