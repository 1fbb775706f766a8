import { isTerminal, type RunState } from "@ambit/protocol";
import { and, eq, inArray, lt, sql as dsql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { modelCalls, runs } from "../../src/db/schema.ts";

// A run's spend is kept for its whole life (its cap never resets), so without pruning the ledger
// grows by a row per run forever. A run's rows go once it ended and the month of its last spend
// closed; D1's model calls keep the record, and a run that starts again (a follow-up) gets its
// spend back from them before a cap on it is checked (`prunedSpendOf`).

/** How often the ledger's alarm looks for runs to forget. */
export const PRUNE_EVERY_MS = 24 * 60 * 60_000;
/** Runs looked at per D1 query (D1 binds at most 100 parameters). */
export const PRUNE_BATCH = 90;

/** Of `runIds` (one team's), those that ended or no longer exist: their spend can go. */
export async function endedRuns(db: Db, teamId: string, runIds: string[]): Promise<string[]> {
  if (!runIds.length) return [];
  const rows = await db
    .select({ id: runs.id, state: runs.state })
    .from(runs)
    .where(and(eq(runs.teamId, teamId), inArray(runs.id, runIds)));
  const live = new Set(rows.filter((r) => !isTerminal(r.state as RunState)).map((r) => r.id));
  return runIds.filter((id) => !live.has(id));
}

/** What a pruned run's model calls before `before` cost, micro-USD, from D1's ledger. */
export async function prunedSpendOf(db: Db, teamId: string, runId: string, before: number) {
  const [row] = await db
    .select({ micros: dsql<number>`COALESCE(SUM(${modelCalls.cost}), 0)` })
    .from(modelCalls)
    .where(
      and(
        eq(modelCalls.teamId, teamId),
        eq(modelCalls.runId, runId),
        lt(modelCalls.createdAt, before),
      ),
    );
  return Number(row?.micros ?? 0);
}

/**
 * Whether a run may have spent before `cutoff`: a run id is a UUIDv7 whose first 48 bits are its
 * creation time, so a run created since cannot; any other id may.
 */
export function mayPredate(runId: string, cutoff: number): boolean {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-/i.exec(runId);
  return m ? Number.parseInt(m[1] + m[2], 16) < cutoff : true;
}
