import { ScheduleSpawnMessage } from "@ambit/protocol";
import { recordDeadLetters, spawnScheduledRun } from "../services/schedules/spawn-run.ts";
import { log } from "../lib/log.ts";
import { eachConcurrently, parsedMessages } from "./each-message.ts";

/** Slots started at once per batch: enough to overlap the D1 and Durable Object round trips. */
const CONCURRENCY = 10;

/**
 * Consumer of the `SCHEDULES` queue: starts the run of each claimed slot (`spawnScheduledRun`).
 * A message that keeps failing lands in the dead-letter queue, whose consumer records the failure
 * as the schedule's `last_spawn_error`.
 */
export async function consumeSchedulesQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid = parsedMessages(batch, ScheduleSpawnMessage);
  if (batch.queue.endsWith("-dlq")) {
    await recordDeadLetters(
      env,
      valid.map((v) => v.body),
    );
    for (const v of valid) v.msg.ack();
    return;
  }
  await eachConcurrently(valid, CONCURRENCY, async ({ msg, body }) => {
    try {
      const result = await spawnScheduledRun(env, body);
      if (result.outcome === "failed")
        log.warn("schedule spawn refused", {
          schedule_id: body.schedule_id,
          error: result.error,
        });
      msg.ack();
    } catch (err) {
      log.error("schedules queue: spawn failed; will retry", {
        schedule_id: body.schedule_id,
        slot: body.slot,
        attempts: msg.attempts,
        error: err,
      });
      msg.retry({ delaySeconds: Math.min(30, 2 ** msg.attempts) });
    }
  });
}
