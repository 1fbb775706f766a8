import type { Rule, RuleRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { rules } from "../../db/schema.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { loadTeamConfig, type RuleRow, writeTeamConfig, writtenBy } from "./team-config.ts";

const toRule = (r: RuleRow): Rule => ({ uid: r.id, name: r.name, content: r.content, enabled: r.enabled, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt) });
const key = (ctx: Ctx, uid: string) => and(eq(rules.teamId, ctx.teamId), eq(rules.id, uid));
const nameTaken = (name: string) => new AppError("conflict", `a rule named '${name}' already exists; pick another name`, { retryable: false });

async function assertNameFree(ctx: Ctx, name: string, except?: string) {
  if ((await loadTeamConfig(ctx)).rules.some((r) => r.name === name && r.id !== except)) throw nameTaken(name);
}

export const listRules = async ({ ctx }: { ctx: Ctx }) => (await loadTeamConfig(ctx)).rules.map(toRule);

export async function getRule({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const row = (await loadTeamConfig(ctx)).rules.find((r) => r.id === uid);
  if (!row) throw notFound("Rule", uid);
  return toRule(row);
}

export async function createRule({ ctx, input }: { ctx: Ctx; input: RuleRequest }) {
  requireRole(ctx, "admin", "Creating team rules");
  await assertNameFree(ctx, input.name);
  const now = Date.now();
  const row: RuleRow = { id: newUid(), teamId: ctx.teamId, name: input.name, content: input.content, enabled: input.enabled, ...writtenBy(ctx), createdAt: now, updatedAt: now };
  await writeTeamConfig(ctx, [ctx.db.insert(rules).values(row)], () => nameTaken(input.name));
  return toRule(row);
}

export async function updateRule({ ctx, uid, input }: { ctx: Ctx; uid: string; input: RuleRequest }) {
  requireRole(ctx, "admin", "Changing team rules");
  const [row] = await ctx.db.select().from(rules).where(key(ctx, uid)).limit(1);
  if (!row) throw notFound("Rule", uid);
  await assertNameFree(ctx, input.name, uid);
  const next: RuleRow = { ...row, name: input.name, content: input.content, enabled: input.enabled, ...writtenBy(ctx), updatedAt: Date.now() };
  await writeTeamConfig(ctx, [ctx.db.update(rules).set(next).where(key(ctx, uid))], () => nameTaken(input.name));
  return toRule(next);
}

export async function deleteRule({ ctx, uid }: { ctx: Ctx; uid: string }) {
  requireRole(ctx, "admin", "Deleting team rules");
  const [row] = await ctx.db.select({ id: rules.id }).from(rules).where(key(ctx, uid)).limit(1);
  if (!row) throw notFound("Rule", uid);
  await writeTeamConfig(ctx, [ctx.db.delete(rules).where(key(ctx, uid))]);
}
