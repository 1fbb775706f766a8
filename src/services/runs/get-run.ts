import { and, eq, sql } from "drizzle-orm";
import { runs, users } from "../../db/schema.ts";
import { parseUsage, usageJson } from "./run-usage.ts";
import { notFound } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { type ArtifactView, type RunRow, toRunItem } from "./run-item.ts";
import { visibleTo } from "./sharing.ts";

/**
 * A run's artifacts as one JSON column, in creation order, so a run (or a page of runs) and its
 * artifacts come back in one D1 round trip; `parseArtifacts` turns it back into rows.
 */
export const artifactsJson = sql<
  string | null
>`(SELECT json_group_array(json_object('artifactType', a.artifact_type, 'createdAt', a.created_at, 'data', json(a.data)))
  FROM (SELECT artifact_type, created_at, data FROM run_artifacts a WHERE a.run_id = ${runs.id} AND a.team_id = ${runs.teamId} ORDER BY a.created_at) a)`;
export const parseArtifacts = (json: string | null): ArtifactView[] =>
  json ? JSON.parse(json) : [];

/** The run with this id in the caller's team and visible to them, or `resource_not_found`. */
export async function getRunInTeam(
  ctx: Ctx,
  runId: string,
): Promise<{ row: RunRow; creator: { displayName: string | null; email: string | null } | null }> {
  const [hit] = await ctx.db
    .select({ row: runs, displayName: users.displayName, email: users.email })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.creatorId))
    .where(and(eq(runs.teamId, ctx.teamId), eq(runs.id, runId), visibleTo(ctx)))
    .limit(1);
  if (!hit) throw notFound("Run", runId);
  return { row: hit.row, creator: { displayName: hit.displayName, email: hit.email } };
}

/**
 * Runs as the API shows them: each row with its creator's names, its artifacts and its usage, in
 * one query (`getRun`, `listRuns` add their filters, order and limit).
 */
export const selectRunViews = (ctx: Ctx) =>
  ctx.db
    .select({
      row: runs,
      displayName: users.displayName,
      email: users.email,
      artifacts: artifactsJson,
      usage: usageJson,
    })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.creatorId));

export async function getRun({ ctx, runId }: { ctx: Ctx; runId: string }) {
  const [hit] = await selectRunViews(ctx)
    .where(and(eq(runs.teamId, ctx.teamId), eq(runs.id, runId), visibleTo(ctx)))
    .limit(1);
  if (!hit) throw notFound("Run", runId);
  return toRunItem(
    hit.row,
    { displayName: hit.displayName, email: hit.email },
    parseArtifacts(hit.artifacts),
    ctx.baseUrl,
    parseUsage(hit.usage),
  );
}
