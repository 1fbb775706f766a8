import { and, eq, sql } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { integrationThreads } from "../../db/schema.ts";
import type { LinearThreadState } from "./thread.ts";

/** How long one report may hold a session's posting before another may take it over. */
export const LEASE_MS = 30_000;

type At = { integrationId: string; key: string };
export type Lease = At & { token: string };

const where = (at: At) =>
  and(
    eq(integrationThreads.integrationId, at.integrationId),
    eq(integrationThreads.threadKey, at.key),
  );
const heldBy = (token: string) =>
  sql`json_extract(${integrationThreads.state}, '$.posting_by') = ${token}`;

/**
 * Takes the session's posting for one report (one conditional write): the activities of one
 * session then go out one report at a time, in the order of the run's log, and each is posted
 * once even when reports of the same run run at once. Null: another report holds it.
 */
export async function takeLease(
  d1: D1Database,
  at: At,
  now: number,
): Promise<{ lease: Lease; state: LinearThreadState } | null> {
  const token = crypto.randomUUID();
  const [row] = await createDb(d1)
    .update(integrationThreads)
    .set({
      state: sql`json_set(coalesce(${integrationThreads.state}, '{}'), '$.posting_by', ${token}, '$.posting_until', ${now + LEASE_MS})`,
    })
    .where(
      and(
        where(at),
        sql`coalesce(json_extract(${integrationThreads.state}, '$.posting_until'), 0) < ${now}`,
      ),
    )
    .returning({ state: integrationThreads.state });
  if (!row) return null;
  const state = (
    typeof row.state === "string" ? JSON.parse(row.state) : row.state
  ) as LinearThreadState;
  return { lease: { ...at, token }, state };
}

/** Keeps how far the session got (after each activity posted); false: the lease was lost. */
export async function saveProgress(
  d1: D1Database,
  lease: Lease,
  state: LinearThreadState,
  now: number,
): Promise<boolean> {
  const kept = { ...state, posting_by: lease.token, posting_until: now + LEASE_MS };
  const rows = await createDb(d1)
    .update(integrationThreads)
    .set({ state: kept, updatedAt: now })
    .where(and(where(lease), heldBy(lease.token)))
    .returning({ key: integrationThreads.threadKey });
  return rows.length > 0;
}

/** Gives the posting back; what it got to stays as `saveProgress` last wrote it. */
export async function releaseLease(d1: D1Database, lease: Lease) {
  await createDb(d1)
    .update(integrationThreads)
    .set({
      state: sql`json_remove(${integrationThreads.state}, '$.posting_by', '$.posting_until')`,
      updatedAt: Date.now(),
    })
    .where(and(where(lease), heldBy(lease.token)));
}
