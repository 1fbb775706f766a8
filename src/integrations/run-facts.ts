import { and, desc, eq } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { runArtifacts, runs } from "../db/schema.ts";

/**
 * What a report (a GitHub comment, a Slack reply, a Linear response) says beyond the event: the
 * run's title, times and the pull request it opened.
 */
export type RunFacts = {
  title: string;
  startedAt: number | null;
  endedAt: number | null;
  createdAt: number;
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
        title: runs.title,
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
  const url = (prs[0]?.data as { url?: unknown } | undefined)?.url;
  return {
    ...run,
    pullRequestUrl: typeof url === "string" ? url : null,
    statusMessage: (run.statusMessage as { message?: string } | null)?.message ?? null,
  };
}
