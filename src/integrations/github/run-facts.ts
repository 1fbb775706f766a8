import { and, desc, eq } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { runArtifacts, runs } from "../../db/schema.ts";

/** What the final comment says beyond the event: how long the run took and the PR it opened. */
export type RunFacts = {
  state: string;
  /** ms from start (or creation, for a run that never started) to end */
  durationMs: number | null;
  pullRequestUrl: string | null;
  statusMessage: string | null;
};

/** Two small reads of one run of one team (another team's run is simply not found). */
export async function readRunFacts(
  d1: D1Database,
  teamId: string,
  runId: string,
): Promise<RunFacts | null> {
  const db = createDb(d1);
  const [rows, prs] = await db.batch([
    db
      .select({
        state: runs.state,
        startedAt: runs.startedAt,
        endedAt: runs.endedAt,
        createdAt: runs.createdAt,
        statusMessage: runs.statusMessage,
      })
      .from(runs)
      .where(and(eq(runs.id, runId), eq(runs.teamId, teamId))),
    db
      .select({ data: runArtifacts.data })
      .from(runArtifacts)
      .where(
        and(
          eq(runArtifacts.runId, runId),
          eq(runArtifacts.teamId, teamId),
          eq(runArtifacts.artifactType, "PULL_REQUEST"),
        ),
      )
      .orderBy(desc(runArtifacts.createdAt))
      .limit(1),
  ]);
  const run = rows[0];
  if (!run) return null;
  const end = run.endedAt ?? null;
  const url = (prs[0]?.data as { url?: unknown } | undefined)?.url;
  return {
    state: run.state,
    durationMs: end === null ? null : end - (run.startedAt ?? run.createdAt),
    pullRequestUrl: typeof url === "string" ? url : null,
    statusMessage: (run.statusMessage as { message?: string } | null)?.message ?? null,
  };
}
