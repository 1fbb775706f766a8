import { and, eq } from "drizzle-orm";
import { createDb, type Db } from "../db/client.ts";
import { integrationThreads } from "../db/schema.ts";
import type { Thread } from "./kind.ts";

/** The run a thread of an integration started, if any (kinds call it to tell a follow-up from a new run). */
export async function threadRunId(
  env: Pick<Env, "DB">,
  integrationId: string,
  key: string,
): Promise<string | null> {
  const [row] = await createDb(env.DB)
    .select({ runId: integrationThreads.runId })
    .from(integrationThreads)
    .where(
      and(
        eq(integrationThreads.integrationId, integrationId),
        eq(integrationThreads.threadKey, key),
      ),
    )
    .limit(1);
  return row?.runId ?? null;
}

/** Points a thread at `runId` (a new run on the thread replaces the old one), keeping its state unless given. */
export function upsertThread(
  db: Db,
  at: { teamId: string; integrationId: string; runId: string; thread: Thread; now: number },
) {
  const { thread } = at;
  return db
    .insert(integrationThreads)
    .values({
      integrationId: at.integrationId,
      threadKey: thread.key,
      teamId: at.teamId,
      runId: at.runId,
      url: thread.url ?? null,
      state: thread.state ?? null,
      updatedAt: at.now,
    })
    .onConflictDoUpdate({
      target: [integrationThreads.integrationId, integrationThreads.threadKey],
      set: {
        runId: at.runId,
        updatedAt: at.now,
        ...(thread.url ? { url: thread.url } : {}),
        ...(thread.state ? { state: thread.state } : {}),
      },
    });
}
