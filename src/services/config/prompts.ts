import type { SavedPrompt, SavedPromptRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { savedPrompts } from "../../db/schema.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { loadTeamConfig, type PromptRow, writeTeamConfig, writtenBy } from "./team-config.ts";

const toPrompt = (r: PromptRow): SavedPrompt => ({
  uid: r.id, name: r.name, prompt: r.prompt, description: r.description, created_at: iso(r.createdAt), updated_at: iso(r.updatedAt),
});
const key = (ctx: Ctx, uid: string) => and(eq(savedPrompts.teamId, ctx.teamId), eq(savedPrompts.id, uid));
const nameTaken = (name: string) => new AppError("conflict", `a saved prompt named '${name}' already exists; pick another name`, { retryable: false });

async function assertNameFree(ctx: Ctx, name: string, except?: string) {
  if ((await loadTeamConfig(ctx)).prompts.some((p) => p.name === name && p.id !== except)) throw nameTaken(name);
}

export const listPrompts = async ({ ctx }: { ctx: Ctx }) => (await loadTeamConfig(ctx)).prompts.map(toPrompt);

export async function getPrompt({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const row = (await loadTeamConfig(ctx)).prompts.find((p) => p.id === uid);
  if (!row) throw notFound("Saved prompt", uid);
  return toPrompt(row);
}

export async function createPrompt({ ctx, input }: { ctx: Ctx; input: SavedPromptRequest }) {
  requireRole(ctx, "member", "Saving prompts");
  await assertNameFree(ctx, input.name);
  const now = Date.now();
  const row: PromptRow = { id: newUid(), teamId: ctx.teamId, name: input.name, prompt: input.prompt, description: input.description ?? null, ...writtenBy(ctx), createdAt: now, updatedAt: now };
  await writeTeamConfig(ctx, [ctx.db.insert(savedPrompts).values(row)], () => nameTaken(input.name));
  return toPrompt(row);
}

export async function updatePrompt({ ctx, uid, input }: { ctx: Ctx; uid: string; input: SavedPromptRequest }) {
  requireRole(ctx, "member", "Changing saved prompts");
  const [row] = await ctx.db.select().from(savedPrompts).where(key(ctx, uid)).limit(1);
  if (!row) throw notFound("Saved prompt", uid);
  await assertNameFree(ctx, input.name, uid);
  const next: PromptRow = { ...row, name: input.name, prompt: input.prompt, description: input.description ?? null, ...writtenBy(ctx), updatedAt: Date.now() };
  await writeTeamConfig(ctx, [ctx.db.update(savedPrompts).set(next).where(key(ctx, uid))], () => nameTaken(input.name));
  return toPrompt(next);
}

export async function deletePrompt({ ctx, uid }: { ctx: Ctx; uid: string }) {
  requireRole(ctx, "member", "Deleting saved prompts");
  const [row] = await ctx.db.select({ id: savedPrompts.id }).from(savedPrompts).where(key(ctx, uid)).limit(1);
  if (!row) throw notFound("Saved prompt", uid);
  await writeTeamConfig(ctx, [ctx.db.delete(savedPrompts).where(key(ctx, uid))]);
}
