import { z } from "zod";
import { Timestamp } from "./common.ts";

/** A budget in USD; at most a million a month (an amount past that is a typo). */
const Usd = z.number().positive().max(1_000_000);

const TeamMonthly = Usd.nullable().describe(
  "the team's monthly budget in USD (every run's model calls together); null: none",
);
const MemberMonthly = Usd.nullable().describe(
  "each member's monthly budget in USD (the model calls of the runs they own); null: none",
);
const RunMaxCost = Usd.nullable().describe(
  "the per-run cap in USD for runs whose config sets no `max_cost_usd`; null: none",
);

/** What an admin changes of the team's budgets (`PATCH /team/budget`); null removes one. */
export const UpdateTeamBudgetRequest = z
  .object({
    monthly_usd: TeamMonthly.optional(),
    member_monthly_usd: MemberMonthly.optional(),
    run_max_cost_usd: RunMaxCost.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "nothing to change: set monthly_usd, member_monthly_usd and/or run_max_cost_usd",
  });
export type UpdateTeamBudgetRequest = z.infer<typeof UpdateTeamBudgetRequest>;

/** One member's spend this month against their monthly budget (`GET /team/budget` `members`). */
export const MemberBudget = z.object({
  member_id: z.string().describe("the user's or service account's uid (a run's `creator_id`)"),
  type: z.enum(["user", "service_account"]),
  email: z.string().nullable().describe("a user's address; null for a service account"),
  name: z.string().nullable().describe("a user's display name, or the service account's name"),
  monthly_usd: Usd.nullable().describe("the budget that applies to them this month; null: none"),
  source: z
    .enum(["member", "team"])
    .nullable()
    .describe(
      "where `monthly_usd` comes from: `member`, their own (PUT /team/budget/members/{uid}); " +
        "`team`, the team's `member_monthly_usd`; null: no budget",
    ),
  spent_usd: z.number().describe("their runs' model calls this month"),
  percent: z
    .number()
    .nullable()
    .describe("spent_usd as a percentage of monthly_usd (one decimal); null without a budget"),
  resets_at: Timestamp.describe("when their monthly budget starts again from zero"),
});
export type MemberBudget = z.infer<typeof MemberBudget>;

/** The team's budgets, what this month spent of them, and when they reset (docs/gateway.md). */
export const TeamBudget = z.object({
  monthly_usd: TeamMonthly,
  member_monthly_usd: MemberMonthly,
  run_max_cost_usd: RunMaxCost,
  period: z.object({
    start: Timestamp.describe("the month's start (UTC): spend counts from here"),
    resets_at: Timestamp.describe("when the monthly budgets start again from zero"),
  }),
  spent: z.object({
    team_usd: z.number().describe("the team's model calls this month"),
    member_usd: z.number().describe("the caller's own runs' model calls this month"),
    reserved_usd: z
      .number()
      .describe("the most the team's model calls in flight can still cost (held until settled)"),
  }),
  thresholds: z
    .array(z.number().int())
    .describe("the percentages of a budget that emit `budget.threshold`, once each a month"),
  members: z
    .array(MemberBudget)
    .describe(
      "each member's spend this month against their budget: every member (users and service " +
        "accounts) for an admin, the caller alone for anyone else",
    ),
});
export type TeamBudget = z.infer<typeof TeamBudget>;

/** A member's own monthly budget (`PUT /team/budget/members/{uid}`); null: none for them. */
export const SetMemberBudgetRequest = z.object({
  monthly_usd: Usd.nullable().describe(
    "this member's monthly budget in USD, in place of the team's `member_monthly_usd`; null: " +
      "no monthly budget for this member (the team's still applies)",
  ),
});
export type SetMemberBudgetRequest = z.infer<typeof SetMemberBudgetRequest>;

/** Which budget: the team's monthly, a member's monthly, or one run's cap. */
export const BudgetScope = z.enum(["team", "member", "run"]);
export type BudgetScope = z.infer<typeof BudgetScope>;
