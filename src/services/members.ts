import type { AddMemberRequest, Member, Role } from "@ambit/protocol";
import { and, asc, count, eq } from "drizzle-orm";
import { apiKeys, memberships, secrets, users } from "../db/schema.ts";
import { AppError, notFound } from "../lib/errors.ts";
import { iso } from "../lib/time.ts";
import { actsPersonallyAs, type Ctx, requireRole, roleAtLeast } from "./context.ts";
import { recheckLiveAccess } from "./runs/live-access.ts";
import { deleteSessionsOfMember } from "./web-sessions.ts";
import { ensureUser } from "./users.ts";
import { listAccountsAsMembers } from "./service-accounts.ts";
import { noteAuditChanges } from "../lib/audit-note.ts";
import { forgetMemberBudget, refreshLedgerBudgetsSafely } from "./budgets/member-budgets.ts";

const memberColumns = {
  uid: users.id,
  email: users.email,
  displayName: users.displayName,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

type MemberRow = {
  uid: string;
  email: string;
  displayName: string | null;
  role: Role;
  joinedAt: number;
};

const toMember = (r: MemberRow): Member => ({
  uid: r.uid,
  type: "user",
  email: r.email,
  display_name: r.displayName,
  role: r.role,
  joined_at: iso(r.joinedAt),
});

async function getMemberInTeam(ctx: Ctx, uid: string): Promise<MemberRow> {
  const [row] = await ctx.db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, uid)))
    .limit(1);
  if (!row) throw notFound("Member", uid);
  return row;
}

export async function listMembers({ ctx }: { ctx: Ctx }) {
  const rows = await ctx.db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.teamId, ctx.teamId))
    .orderBy(asc(memberships.createdAt), asc(users.id));
  // service accounts are members too, shown as such (they are managed at /service-accounts)
  const accounts = await listAccountsAsMembers(ctx);
  return [...rows.map(toMember), ...accounts];
}

/** Owners are managed by owners only; nobody grants a role above their own. */
function assertMayGrant(ctx: Ctx, role: Role, action: string) {
  if (!roleAtLeast(ctx.actor.role, role)) {
    throw new AppError(
      "not_authorized",
      `${action}: you are '${ctx.actor.role}' and cannot grant '${role}'`,
    );
  }
}

export async function addMember({ ctx, input }: { ctx: Ctx; input: AddMemberRequest }) {
  requireRole(ctx, "admin", "Adding members");
  assertMayGrant(ctx, input.role, "Adding a member");
  const now = Date.now();
  const user = await ensureUser(ctx.db, input, now);
  // insert-or-nothing, so a concurrent add of the same member is the same 409, not a key violation
  const added = await ctx.db
    .insert(memberships)
    .values({ teamId: ctx.teamId, userId: user.id, role: input.role, createdAt: now })
    .onConflictDoNothing()
    .returning({ role: memberships.role });
  if (!added.length) {
    const [existing] = await ctx.db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, user.id)))
      .limit(1);
    throw new AppError(
      "conflict",
      `${user.email} is already a member (role '${existing?.role ?? "unknown"}'); change the role with PATCH /api/v1/team/members/${user.id}`,
      { retryable: false },
    );
  }
  noteAuditChanges(ctx, { email: { after: user.email }, role: { after: input.role } });
  return toMember({
    uid: user.id,
    email: user.email,
    displayName: user.displayName,
    role: input.role,
    joinedAt: now,
  });
}

async function ownerCount(ctx: Ctx) {
  const [{ n }] = await ctx.db
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.role, "owner")));
  return n;
}

export async function updateMember({ ctx, uid, role }: { ctx: Ctx; uid: string; role: Role }) {
  requireRole(ctx, "admin", "Changing member roles");
  const member = await getMemberInTeam(ctx, uid);
  if (member.role === "owner") assertMayGrant(ctx, "owner", "Changing an owner's role");
  assertMayGrant(ctx, role, "Changing a role");
  if (member.role === "owner" && role !== "owner" && (await ownerCount(ctx)) <= 1) {
    throw new AppError(
      "invalid_request",
      "this is the team's last owner; make another member owner first",
    );
  }
  await ctx.db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, uid)));
  await recheckLiveAccess(ctx, { principalId: uid });
  noteAuditChanges(ctx, { role: { before: member.role, after: role } });
  return toMember({ ...member, role });
}

/**
 * Removes a member (admins, or anyone leaving themselves), revokes their keys for this team and
 * deletes their personal secrets.
 * Leaving takes a key of one's own: a key someone else minted for the member is treated like its
 * minter's (the admin path, with its owner rule).
 */
export async function removeMember({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const leaving = actsPersonallyAs(ctx, uid);
  if (!leaving) requireRole(ctx, "admin", "Removing members");
  const member = await getMemberInTeam(ctx, uid);
  if (member.role === "owner" && !leaving) assertMayGrant(ctx, "owner", "Removing an owner");
  if (member.role === "owner" && (await ownerCount(ctx)) <= 1) {
    throw new AppError(
      "invalid_request",
      "the team's last owner cannot leave; make another member owner first",
    );
  }
  const now = Date.now();
  await ctx.db.batch([
    ctx.db
      .delete(memberships)
      .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, uid))),
    ctx.db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.teamId, ctx.teamId), eq(apiKeys.principalId, uid))),
    // nobody can use them any more, and whoever takes the personal key of a member added again
    // (services/api-keys.ts) must not find them
    ctx.db
      .delete(secrets)
      .where(
        and(
          eq(secrets.teamId, ctx.teamId),
          eq(secrets.scope, "personal"),
          eq(secrets.ownerId, uid),
        ),
      ),
    // a member added again starts signed out
    deleteSessionsOfMember(ctx, uid),
    // and under the team's per-member budget, not the one they had
    forgetMemberBudget(ctx, uid),
  ]);
  await Promise.all([
    recheckLiveAccess(ctx, { principalId: uid }),
    refreshLedgerBudgetsSafely(ctx),
  ]);
  noteAuditChanges(ctx, { email: { before: member.email }, role: { before: member.role } });
  if (leaving && ctx.audit) ctx.audit.action = "member.leave";
}
