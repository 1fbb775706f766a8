import { and, eq, inArray, or } from "drizzle-orm";
import { runArtifacts, runs, users } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { type ArtifactRow, type RunRow, toRunItem } from "./run-item.ts";

/** Runs the caller may see: team runs, and their own personal runs. */
export const visibleTo = (ctx: Ctx) => or(eq(runs.scope, "Team"), eq(runs.creatorId, ctx.actor.id));

/** The run with this id in the caller's team and visible to them, or `resource_not_found`. */
export async function getRunInTeam(ctx: Ctx, runId: string): Promise<{ row: RunRow; creator: { displayName: string | null; email: string | null } | null }> {
  const [hit] = await ctx.db
    .select({ row: runs, displayName: users.displayName, email: users.email })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.creatorId))
    .where(and(eq(runs.teamId, ctx.teamId), eq(runs.id, runId), visibleTo(ctx)))
    .limit(1);
  if (!hit) throw notFound("Run", runId);
  return { row: hit.row, creator: { displayName: hit.displayName, email: hit.email } };
}

/** Artifacts of these runs, grouped by run id, in creation order. */
export async function artifactsOf(ctx: Ctx, runIds: string[]): Promise<Map<string, ArtifactRow[]>> {
  const byRun = new Map<string, ArtifactRow[]>();
  if (!runIds.length) return byRun;
  const rows = await ctx.db
    .select()
    .from(runArtifacts)
    .where(and(eq(runArtifacts.teamId, ctx.teamId), inArray(runArtifacts.runId, runIds)))
    .orderBy(runArtifacts.createdAt);
  for (const a of rows) byRun.set(a.runId, [...(byRun.get(a.runId) ?? []), a]);
  return byRun;
}

export async function getRun({ ctx, runId }: { ctx: Ctx; runId: string }) {
  const { row, creator } = await getRunInTeam(ctx, runId);
  const artifacts = await artifactsOf(ctx, [row.id]);
  return toRunItem(row, creator, artifacts.get(row.id) ?? []);
}
