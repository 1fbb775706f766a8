import type {
  CreateServiceAccountRequest,
  Member,
  ServiceAccount,
  UpdateServiceAccountRequest,
} from "@ambit/protocol";
import { and, asc, eq } from "drizzle-orm";
import { serviceAccounts } from "../db/schema.ts";
import { AppError, notFound } from "../lib/errors.ts";
import { newUid } from "../lib/ids.ts";
import { iso } from "../lib/time.ts";
import { type Ctx, requireRole, roleAtLeast } from "./context.ts";
import { revokeKeysOfAccount } from "./api-keys.ts";
import { forgetMemberBudget, refreshLedgerBudgetsSafely } from "./budgets/member-budgets.ts";
import { recheckLiveAccess } from "./runs/live-access.ts";

type Row = typeof serviceAccounts.$inferSelect;

const toServiceAccount = (r: Row): ServiceAccount => ({
  uid: r.id,
  type: "service_account",
  name: r.name,
  description: r.description,
  role: r.role,
  created_by: r.createdBy,
  created_at: iso(r.createdAt),
});

/** Admins manage service accounts, of a role up to their own (it is what their keys act as). */
function authorize(ctx: Ctx, action: string, role?: Row["role"]) {
  requireRole(ctx, "admin", action);
  if (role && !roleAtLeast(ctx.actor.role, role)) {
    throw new AppError(
      "not_authorized",
      `${action}: you act as '${ctx.actor.role}' and cannot grant '${role}'`,
    );
  }
}

async function getAccountInTeam(ctx: Ctx, uid: string): Promise<Row> {
  const [row] = await ctx.db
    .select()
    .from(serviceAccounts)
    .where(and(eq(serviceAccounts.teamId, ctx.teamId), eq(serviceAccounts.id, uid)))
    .limit(1);
  if (!row) throw notFound("Service account", uid);
  return row;
}

const nameTaken = (name: string) =>
  new AppError("conflict", `a service account named '${name}' already exists; pick another name`);

export async function createServiceAccount({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateServiceAccountRequest;
}) {
  authorize(ctx, "Creating service accounts", input.role);
  const row: Row = {
    id: newUid(),
    teamId: ctx.teamId,
    name: input.name,
    description: input.description ?? null,
    role: input.role,
    createdBy: ctx.actor.id,
    createdAt: Date.now(),
  };
  const [taken] = await ctx.db
    .insert(serviceAccounts)
    .values(row)
    .onConflictDoNothing()
    .returning({ id: serviceAccounts.id });
  if (!taken) throw nameTaken(input.name);
  return toServiceAccount(row);
}

export async function listServiceAccounts({ ctx }: { ctx: Ctx }) {
  requireRole(ctx, "admin", "Listing service accounts");
  return (await rowsOf(ctx)).map(toServiceAccount);
}

const rowsOf = (ctx: Ctx) =>
  ctx.db
    .select()
    .from(serviceAccounts)
    .where(eq(serviceAccounts.teamId, ctx.teamId))
    .orderBy(asc(serviceAccounts.createdAt), asc(serviceAccounts.id));

/** The team's service accounts as rows of the member list (`type: service_account`, no email). */
export async function listAccountsAsMembers(ctx: Ctx): Promise<Member[]> {
  return (await rowsOf(ctx)).map((r) => ({
    uid: r.id,
    type: "service_account",
    email: "",
    display_name: r.name,
    role: r.role,
    joined_at: iso(r.createdAt),
  }));
}

/** Renames or re-roles an account; a lower role caps its keys from their next request on. */
export async function updateServiceAccount({
  ctx,
  uid,
  input,
}: {
  ctx: Ctx;
  uid: string;
  input: UpdateServiceAccountRequest;
}) {
  authorize(ctx, "Changing service accounts", input.role);
  const row = await getAccountInTeam(ctx, uid);
  authorize(ctx, "Changing a service account", row.role);
  const next: Row = {
    ...row,
    name: input.name ?? row.name,
    description: input.description === undefined ? row.description : input.description,
    role: input.role ?? row.role,
  };
  try {
    await ctx.db
      .update(serviceAccounts)
      .set({ name: next.name, description: next.description, role: next.role })
      .where(and(eq(serviceAccounts.teamId, ctx.teamId), eq(serviceAccounts.id, uid)));
  } catch (err) {
    if (String((err as Error)?.message ?? err).includes("UNIQUE")) throw nameTaken(next.name);
    throw err;
  }
  if (next.role !== row.role) await recheckLiveAccess(ctx, { principalId: uid });
  return toServiceAccount(next);
}

/** Deletes an account and revokes its keys in the same batch; what they have open live closes. */
export async function deleteServiceAccount({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const row = await getAccountInTeam(ctx, uid);
  authorize(ctx, "Deleting service accounts", row.role);
  await ctx.db.batch([
    revokeKeysOfAccount(ctx, uid),
    ctx.db
      .delete(serviceAccounts)
      .where(and(eq(serviceAccounts.teamId, ctx.teamId), eq(serviceAccounts.id, uid))),
    forgetMemberBudget(ctx, uid),
  ]);
  await Promise.all([
    recheckLiveAccess(ctx, { principalId: uid }),
    refreshLedgerBudgetsSafely(ctx),
  ]);
}
