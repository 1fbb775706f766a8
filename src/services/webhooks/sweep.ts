import { and, inArray, lt } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { webhookDeliveries } from "../../db/schema.ts";
import { queueAttempt } from "./fan-out.ts";

/** How late an attempt may be before the sweep queues it again. */
export const STALLED_AFTER_MS = 10 * 60_000;
const LIMIT = 100;

/**
 * Queues again the attempts that should have happened long ago: their message was lost (the
 * consumer died after claiming an attempt, or before queueing the next). The message names the
 * attempt `attempt_count` says is due, so one that was only late sends nothing twice. Runs from
 * the every-minute housekeeping; answers how many it queued.
 */
export async function requeueStalledDeliveries(env: Env, now: number): Promise<number> {
  const db = createDb(env.DB);
  const stalled = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        inArray(webhookDeliveries.status, ["pending", "failed"]),
        lt(webhookDeliveries.nextAttemptAt, now - STALLED_AFTER_MS),
      ),
    )
    .limit(LIMIT);
  await Promise.all(stalled.map((row) => queueAttempt(env, row)));
  return stalled.length;
}
