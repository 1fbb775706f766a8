import type { MemberBudget, SetMemberBudgetRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { teamLedger } from "../../../durable-objects/stubs.ts";
import type { LedgerStatus } from "../../../durable-objects/team-ledger/team-ledger.ts";
import { memberBudgets } from "../../db/schema.ts";
import { diffForAudit, noteAuditChanges } from "../../lib/audit-note.ts";
import { type BudgetSettings, memberCapOf, microsOf, usd } from "../../lib/budgets.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { log } from "../../lib/log.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole, roleAtLeast } from "../context.ts";
import { listMembers } from "../members.ts";
import { readTeamBudgets } from "./caps.ts";

type MemberRow = Awaited<ReturnType<typeof listMembers>>[number];

const usdOrNull = (micros: number | null) => (micros === null ? null : usd(micros));

function toMemberBudget(m: MemberRow, budgets: BudgetSettings, status: LedgerStatus): MemberBudget {
  const { cap, own } = memberCapOf(budgets, m.uid);
  const spent = status.members[m.uid] ?? 0;
  const user = m.type === "user";
  return {
    member_id: m.uid,
    type: m.type,
    email: user ? m.email : null,
    name: m.display_name ?? null,
    monthly_usd: usdOrNull(cap),
    source: own ? (cap === null ? null : "member") : cap === null ? null : "team",
    spent_usd: usd(spent),
    // a budget of a few cents shows one decimal place of a percent
    percent: cap === null || cap <= 0 ? null : Math.round((spent * 1000) / cap) / 10,
    resets_at: iso(status.resetsAt),
  };
}

/**
 * Each member's spend this month against their budget: every member for an admin, the caller
 * alone for anyone else (a plain member sees their own standing, not their teammates').
 */
export async function memberBudgetsOf(
  ctx: Ctx,
  budgets: BudgetSettings,
  status: LedgerStatus,
): Promise<MemberBudget[]> {
  const members = await listMembers({ ctx });
  const admin = roleAtLeast(ctx.actor.role, "admin");
  return members
    .filter((m) => admin || m.uid === ctx.actor.id)
    .map((m) => toMemberBudget(m, budgets, status));
}

async function memberInTeam(ctx: Ctx, uid: string): Promise<MemberRow> {
  const m = (await listMembers({ ctx })).find((x) => x.uid === uid);
  if (!m) throw notFound("Member", uid);
  return m;
}

/**
 * Tells the team's ledger that D1's budget amounts changed: the next model call sees them. When
 * the ledger cannot be reached the change is saved all the same: a 503 says to repeat the request
 * (the same amounts again), and the ledger re-reads D1 by itself within 10 minutes.
 */
export async function refreshLedgerBudgets(ctx: Ctx): Promise<void> {
  try {
    await teamLedger(ctx.env, ctx.teamId).refreshBudgets(ctx.teamId);
  } catch (error) {
    log.error("the team's ledger was not told of a budget change", { error });
    throw new AppError(
      "resource_unavailable",
      "The budget change is saved, but running runs may not see it for up to 10 minutes: the team's ledger did not answer. Send the same request again to apply it now.",
      { retryable: true },
    );
  }
}

/**
 * Sets one member's (a user's or a service account's) own monthly budget in place of the team's
 * per-member default (admin); null: no monthly budget for this member. Their running runs' next
 * model call is held to it.
 */
export async function setMemberBudget({
  ctx,
  uid,
  input,
}: {
  ctx: Ctx;
  uid: string;
  input: SetMemberBudgetRequest;
}): Promise<MemberBudget> {
  requireRole(ctx, "admin", "Setting a member's budget");
  const member = await memberInTeam(ctx, uid);
  const before = await readTeamBudgets(ctx.db, ctx.teamId);
  const micros = input.monthly_usd === null ? null : microsOf(input.monthly_usd);
  await ctx.db
    .insert(memberBudgets)
    .values({ teamId: ctx.teamId, memberId: uid, budgetMonthly: micros, updatedAt: Date.now() })
    .onConflictDoUpdate({
      target: [memberBudgets.teamId, memberBudgets.memberId],
      set: { budgetMonthly: micros, updatedAt: Date.now() },
    });
  return settled(ctx, member, before);
}

/** Removes a member's own budget (admin): the team's per-member default applies to them again. */
export async function clearMemberBudget({
  ctx,
  uid,
}: {
  ctx: Ctx;
  uid: string;
}): Promise<MemberBudget> {
  requireRole(ctx, "admin", "Clearing a member's budget");
  const member = await memberInTeam(ctx, uid);
  const before = await readTeamBudgets(ctx.db, ctx.teamId);
  await ctx.db.delete(memberBudgets).where(memberBudgetOf(ctx, uid));
  return settled(ctx, member, before);
}

/** After a change in D1: the ledger told, the change audited, the member's standing answered. */
async function settled(ctx: Ctx, member: MemberRow, before: BudgetSettings) {
  await refreshLedgerBudgets(ctx);
  const ledger = teamLedger(ctx.env, ctx.teamId);
  const [after, status] = await Promise.all([
    readTeamBudgets(ctx.db, ctx.teamId),
    ledger.status(ctx.teamId, member.uid),
  ]);
  const was = toMemberBudget(member, before, status);
  const now = toMemberBudget(member, after, status);
  const fields = (b: MemberBudget) => ({ monthly_usd: b.monthly_usd, source: b.source });
  noteAuditChanges(ctx, diffForAudit(fields(was), fields(now)));
  return now;
}

const memberBudgetOf = (ctx: Ctx, uid: string) =>
  and(eq(memberBudgets.teamId, ctx.teamId), eq(memberBudgets.memberId, uid));

/**
 * A member leaves the team (or a service account is deleted): their own budget goes in the
 * batch that removes them (`forgetMemberBudget`), and the ledger is told after.
 */
export const forgetMemberBudget = (ctx: Ctx, uid: string) =>
  ctx.db.delete(memberBudgets).where(memberBudgetOf(ctx, uid));

export async function refreshLedgerBudgetsSafely(ctx: Ctx): Promise<void> {
  // logged by refreshLedgerBudgets; the ledger re-reads D1 by itself within 10 minutes
  await refreshLedgerBudgets(ctx).catch(() => undefined);
}
