import type { BudgetScope } from "@ambit/protocol";
import { iso } from "./time.ts";

/**
 * Budgets, pure (docs/gateway.md): amounts in integer micro-USD like the ledger. The team's
 * monthly budget, each member's, and one run's cap; a model call is admitted while each of them
 * has room left after what is spent and what calls in flight may still cost (their holds), so
 * concurrent calls never overshoot a cap by more than the one call admitted last.
 */

/** The percentages of a budget that are announced (`budget.threshold`), once each a period. */
export const THRESHOLDS = [80, 90, 100] as const;

/**
 * The caps that apply to one call or one new run, micro-USD; null: none. `runOwn`: the run's own
 * cap (`config.max_cost_usd`) when it sets one, which the ledger keeps while it applies the team's
 * amounts as they are now (a run's configuration is frozen; the team's budgets are not).
 */
export type BudgetCaps = {
  team: number | null;
  member: number | null;
  run: number | null;
  runOwn?: number | null;
};

/**
 * A team's budget amounts, micro-USD (null: none), as D1 keeps them and the ledger holds a copy:
 * the team's a month, a member's a month by default and each member's own (`members`: an entry,
 * even null, replaces the default), and a run's default cap.
 */
export type BudgetSettings = {
  team: number | null;
  member: number | null;
  runDefault: number | null;
  members: Record<string, number | null>;
};

export const NO_BUDGETS: BudgetSettings = {
  team: null,
  member: null,
  runDefault: null,
  members: {},
};

/** The monthly budget of `memberId`: their own when set, else the team's per-member default. */
export function memberCapOf(b: BudgetSettings, memberId: string) {
  const own = Object.hasOwn(b.members, memberId);
  return { cap: own ? b.members[memberId] : b.member, own };
}

/**
 * The caps on one call of a run owned by `memberId`: the team's, the member's, and the run's own
 * (`runCap`: `config.max_cost_usd`, micro-USD; null: the team's default).
 */
export function capsOf(b: BudgetSettings, memberId: string, runCap: number | null): BudgetCaps {
  const run = runCap ?? b.runDefault;
  return { team: b.team, member: memberCapOf(b, memberId).cap, run, runOwn: runCap };
}

export const hasBudgets = (b: BudgetSettings) =>
  b.team !== null ||
  b.member !== null ||
  b.runDefault !== null ||
  Object.values(b.members).some((v) => v !== null);

/** What a scope has spent (settled) and holds (in flight), micro-USD. */
export type ScopeSpend = { spent: number; held: number };

/** The calendar month (UTC) `at` falls in: its key (`2026-12`), start and reset, in ms. */
export function periodOf(at: number): { key: string; start: number; resetsAt: number } {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    key: `${y}-${String(m + 1).padStart(2, "0")}`,
    start: Date.UTC(y, m, 1),
    resetsAt: Date.UTC(y, m + 1, 1),
  };
}

/** A budget used up: which, its limit, what was spent of it (micro-USD), when it resets (ms; a run's never). */
export type Exhausted = {
  budget: BudgetScope;
  limit: number;
  spent: number;
  resetsAt: number | null;
  /** a member's budget: whose, and whether it is their own rather than the team's default */
  member?: { id: string; own: boolean };
};

export type Admission =
  | { ok: true }
  | ({ ok: false; code: "budget_exceeded" } & Exhausted)
  /** room is left, but calls in flight hold it: wait for one to settle */
  | { ok: false; code: "held"; budget: BudgetScope };

const SCOPES: BudgetScope[] = ["team", "member", "run"];

/**
 * Whether a call may go ahead now. Refused (`budget_exceeded`) when a budget is spent; `held`
 * when what is spent and held together reach it (the calls in flight may still leave room);
 * else admitted, even when its own maximum passes the cap: the last call may overshoot, once.
 */
export function admit(
  caps: BudgetCaps,
  spend: Record<BudgetScope, ScopeSpend>,
  resetsAt: number,
): Admission {
  for (const s of SCOPES) {
    const cap = caps[s];
    if (cap !== null && spend[s].spent >= cap) {
      return {
        ok: false,
        code: "budget_exceeded",
        budget: s,
        limit: cap,
        spent: spend[s].spent,
        resetsAt: s === "run" ? null : resetsAt,
      };
    }
  }
  for (const s of SCOPES) {
    const cap = caps[s];
    if (cap !== null && spend[s].spent + spend[s].held >= cap)
      return { ok: false, code: "held", budget: s };
  }
  return { ok: true };
}

/** The thresholds `spent` has reached of `cap` (none without a cap). */
export function reachedThresholds(cap: number | null, spent: number): number[] {
  if (cap === null || cap <= 0) return [];
  return THRESHOLDS.filter((t) => spent * 100 >= cap * t);
}

export const usd = (micros: number) => micros / 1e6;
export const microsOf = (dollars: number) => Math.round(dollars * 1e6);
/** Dollars and cents, with two significant digits under a cent so a small cap never reads $0.00. */
const money = (micros: number) => {
  const v = usd(micros);
  return `$${v === 0 || Math.abs(v) >= 0.01 ? v.toFixed(2) : v.toPrecision(2)}`;
};

/** The refusal of a new run or a model call, naming the budget, its amount and when it resets. */
export function exhaustedMessage(e: Exhausted): string {
  const spent = `${money(e.spent)} spent`;
  switch (e.budget) {
    case "team":
      return (
        `the team's monthly budget of ${money(e.limit)} is used up (${spent} this month); it ` +
        `resets at ${iso(e.resetsAt ?? 0)}. An admin can raise it: PATCH /api/v1/team/budget ` +
        "monthly_usd (ambit budget set --monthly-usd)"
      );
    case "member": {
      const id = e.member?.id ?? "<member>";
      const how = e.member?.own
        ? `PUT /api/v1/team/budget/members/${id} (ambit budget set --member ${id} <usd>)`
        : "PATCH /api/v1/team/budget member_monthly_usd (ambit budget set --member-monthly-usd) " +
          `for everyone, or PUT /api/v1/team/budget/members/${id} for this member`;
      return (
        `this member's ${e.member?.own ? "own " : ""}monthly budget of ${money(e.limit)} is ` +
        `used up (${spent} this month on their runs); it resets at ${iso(e.resetsAt ?? 0)}. ` +
        `An admin can raise it: ${how}`
      );
    }
    case "run":
      return (
        `this run's cost cap of ${money(e.limit)} is reached (${spent}); a run's cap does not ` +
        "reset: start a new run, or set a higher config.max_cost_usd (the team's default: " +
        "run_max_cost_usd of PATCH /api/v1/team/budget)"
      );
  }
}

/** The problem details of a refusal, as the API and the gateway's error bodies carry them. */
export const exhaustedDetails = (e: Exhausted) => ({
  budget: e.budget,
  limit_usd: usd(e.limit),
  spent_usd: usd(e.spent),
  resets_at: e.resetsAt === null ? null : iso(e.resetsAt),
  ...(e.member ? { member_id: e.member.id } : {}),
});
