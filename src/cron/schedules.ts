import type { ScheduleSpawnMessage } from "@ambit/protocol";
import { getConfig } from "../env.ts";
import { claimDueSlots } from "../services/schedules/claim-slots.ts";
import { recordQueueFailure } from "../services/schedules/spawn-run.ts";
import { log } from "../lib/log.ts";

/** Stop claiming after this long; what is left is due at the next tick, which starts it late, once. */
const TICK_BUDGET_MS = 20_000;
const SEND_BATCH = 100; // Queues: at most 100 messages per sendBatch

/**
 * Every minute: claims the due slot of every enabled schedule, a page at a time, and sends one
 * message per claimed slot to the `SCHEDULES` queue, whose consumer starts the runs through
 * `createRun`. The tick's own work stays small (2 queries per 500 schedules, 1 send per 100), so
 * thousands of schedules due in one minute fit the Cron Trigger's limits; starting the runs is
 * spread over queue consumer invocations, each with its own limits. One team gets at most
 * `MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK` slots a tick, and every team's first slot comes before
 * any team's second, so a team with many schedules cannot use up the tick's budget (claim-slots.ts).
 */
export async function fireSchedules(env: Env, scheduledTime: number) {
  const tick = Math.floor(scheduledTime / 60_000) * 60_000; // cron slots are whole minutes
  const started = Date.now();
  let due = 0;
  let claimed = 0;
  let lost = 0;
  const perTeam = getConfig(env).MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK;
  const spent = new Map<string, number>();
  for (let _page = 0; Date.now() - started < TICK_BUDGET_MS; _page++) {
    const result = await claimDueSlots(env.DB, tick, undefined, { perTeam, spent });
    for (const m of result.claimed) spent.set(m.team_id, (spent.get(m.team_id) ?? 0) + 1);
    due += result.due;
    claimed += result.claimed.length;
    lost += await send(env, result.claimed);
    if (result.due === 0) break;
  }
  const summary = {
    msg: "schedules tick",
    tick: new Date(scheduledTime).toISOString(),
    due,
    claimed,
    queue_failures: lost,
    ms: Date.now() - started,
  };
  if (due) {
    const { msg, ...fields } = summary;
    log.info(msg, fields);
  }
  return summary;
}

async function send(env: Env, messages: ScheduleSpawnMessage[]): Promise<number> {
  let lost = 0;
  for (let i = 0; i < messages.length; i += SEND_BATCH) {
    const chunk = messages.slice(i, i + SEND_BATCH);
    const batch = chunk.map((body) => ({ body, contentType: "json" as const }));
    try {
      await env.SCHEDULES.sendBatch(batch);
    } catch {
      try {
        await env.SCHEDULES.sendBatch(batch);
      } catch (err) {
        // the slots are claimed: say on each schedule that this one did not start, never drop it silently
        lost += chunk.length;
        await recordQueueFailure(env, chunk, String(err));
      }
    }
  }
  return lost;
}
