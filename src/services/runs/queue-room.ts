import { and, eq, sql } from "drizzle-orm";
import { runs } from "../../db/schema.ts";
import { statementOnce } from "../../db/statements.ts";
import { getConfig } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";

/** Seconds a client is told to wait when its team's line is full: long enough for some runs to start. */
export const QUEUE_FULL_RETRY_AFTER_S = 30;

/**
 * Refuses a new run (429, `Retry-After`) while the team already has `MAX_QUEUED_RUNS_PER_TEAM`
 * runs waiting to start, so one team cannot fill the platform's lines and storage with runs no
 * host will take for hours. The count stops at the cap (an index range of at most that many rows).
 * Checked before the run is written, not in its batch: concurrent creations may pass the cap by
 * as many as race, once; the next creation sees them.
 */
export async function assertQueueRoom(ctx: Ctx): Promise<void> {
  const n = await queuedCountStatement(ctx).first<number>("n");
  refuseWhenFull(ctx, n ?? 0);
}

/**
 * The team's QUEUED runs, counted up to the cap, as a D1 statement built once (for a batch that
 * reads it with others: createRun); its one row is `{ n }`.
 */
export function queuedCountStatement(ctx: Ctx): D1PreparedStatement {
  const max = getConfig(ctx.env).MAX_QUEUED_RUNS_PER_TEAM;
  return queuedCount(ctx.db, { teamId: ctx.teamId, max });
}

const queuedCount = statementOnce<{ teamId: string; max: number }>((db) => {
  const waiting = db
    .select({ one: sql`1` })
    .from(runs)
    .where(and(eq(runs.teamId, sql.placeholder("teamId")), eq(runs.state, "QUEUED")))
    .limit(sql.placeholder("max"))
    .as("waiting");
  return db.select({ n: sql<number>`count(*)`.as("n") }).from(waiting);
});

/** `assertQueueRoom` on a count already read (`queuedCountQuery`). */
export function refuseWhenFull(ctx: Ctx, n: number): void {
  const max = getConfig(ctx.env).MAX_QUEUED_RUNS_PER_TEAM;
  if (n < max) return;
  throw new AppError(
    "rate_limited",
    `this team already has ${max} runs waiting to start (QUEUED), the most this server allows (MAX_QUEUED_RUNS_PER_TEAM); ` +
      `retry in ${QUEUE_FULL_RETRY_AFTER_S} s, when some have started, or cancel runs you no longer need`,
    { headers: { "retry-after": String(QUEUE_FULL_RETRY_AFTER_S) } },
  );
}
