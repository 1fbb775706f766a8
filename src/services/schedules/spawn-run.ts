import {
  type AmbientAgentConfig,
  isTerminal,
  type RunAgentRequest,
  type RunState,
  type ScheduleSpawnMessage,
} from "@ambit/protocol";
import { and, eq, isNull, lte, or } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { runs, schedules } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/hash.ts";
import { iso } from "../../lib/time.ts";
import type { Ctx } from "../context.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyStatement,
  releaseIdempotencyKey,
  sealResponse,
} from "../idempotency.ts";
import { recordAuditSafely } from "../../db/audit-log.ts";
import { createRun } from "../runs/create-run.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { MAX_COUNTED_MISSES } from "./cron.ts";
import { scheduleActor } from "./schedule-actor.ts";
import type { ScheduleRow } from "./schedule-item.ts";
import { log } from "../../lib/log.ts";
import { emitPlatformEventOrLog } from "../../lib/platform-events.ts";

export type SpawnOutcome =
  | { outcome: "spawned"; runId: string }
  | { outcome: "skipped"; reason: string }
  | { outcome: "failed"; error: string }
  | { outcome: "duplicate" | "gone" };

const SYSTEM = { type: "system" as const, id: "schedules" };

/**
 * Starts the run of one claimed slot through `createRun`, as whoever last changed what the
 * schedule runs (scheduleActor), applying the
 * overlap policy. Exactly once per slot even when the queue delivers the message again: the slot
 * is an idempotency key completed in createRun's own batch. A refusal (a bad config, an owner who
 * lost access, left the team) is recorded as `last_spawn_error` and does not stop later slots; a success clears
 * it. Anything else throws, so the queue retries.
 */
export async function spawnScheduledRun(
  env: Env,
  msg: ScheduleSpawnMessage,
): Promise<SpawnOutcome> {
  const db = createDb(env.DB);
  const [hit] = await db
    .select({ row: schedules, lastState: runs.state })
    .from(schedules)
    .leftJoin(runs, eq(runs.id, schedules.lastRunId))
    .where(and(eq(schedules.id, msg.schedule_id), eq(schedules.teamId, msg.team_id)))
    .limit(1);
  if (!hit?.row.enabled) return { outcome: "gone" }; // deleted or paused since the tick claimed the slot
  const row = hit.row;
  const requestId = `schedule:${row.id}:${msg.slot}`;

  // a scope of its own: a client's Idempotency-Key (scoped by team id) can never collide with a slot
  const outcome = await claimIdempotencyKey(db, {
    scope: `schedules:${row.teamId}`,
    key: requestId,
    requestHash: await sha256Hex(requestId),
  });
  if ("replay" in outcome) return { outcome: "duplicate" };
  const claim = outcome.claim;

  const previousActive = row.lastRunId && hit.lastState && !isTerminal(hit.lastState as RunState);
  if (previousActive && row.overlapPolicy === "skip") {
    const reason = `the previous run ${row.lastRunId} was still ${hit.lastState} (overlap_policy skip)`;
    const sealed = await sealResponse(claim, {
      status: 204,
      body: JSON.stringify({ skipped: reason }),
    });
    await db.batch([
      db
        .update(schedules)
        .set({ lastSkippedAt: msg.slot, lastSkipReason: reason })
        .where(eq(schedules.id, row.id)),
      completeIdempotencyStatement(db, claim, sealed),
    ]);
    return { outcome: "skipped", reason };
  }

  let runId: string;
  try {
    const ctx: Ctx = {
      teamId: row.teamId,
      actor: await scheduleActor(db, row),
      db,
      env,
      requestId,
      baseUrl: "",
      idempotency: claim,
    };
    if (previousActive && row.overlapPolicy === "cancel_previous") {
      const cancelled = await runSession(env, row.lastRunId!).cancel(
        { runId: row.lastRunId!, teamId: row.teamId },
        SYSTEM,
      );
      if (!cancelled.ok)
        log.warn("schedule: cancelling the previous run failed", {
          request_id: requestId,
          run_id: row.lastRunId,
          code: cancelled.code,
        });
    }
    ({ run_id: runId } = await createRun({
      ctx,
      input: {
        request: runRequest(row, msg),
        source: "SCHEDULED_AGENT",
        // the schedule's agent_config is the trigger layer of the run's configuration (below a named agent)
        triggerConfig: (row.agentConfig ?? {}) as AmbientAgentConfig,
        schedule: { schedule_id: row.id, schedule_name: row.name, cron_schedule: row.cronSchedule },
      },
    }));
  } catch (err) {
    if (!claim.completed) await releaseIdempotencyKey(db, claim);
    if (!(err instanceof AppError)) throw err;
    const error = `${iso(msg.slot)}: ${err.message}`;
    await db.update(schedules).set({ lastSpawnError: error }).where(eq(schedules.id, row.id));
    await spawnFailed(env, { team_id: row.teamId, schedule_id: row.id, slot: msg.slot }, error);
    return { outcome: "failed", error };
  }
  await recordAuditSafely(env, {
    teamId: row.teamId,
    actor: { type: "schedule", id: row.id, name: row.name },
    action: "run.create",
    target: { type: "run", id: runId },
    changes: { slot: { after: iso(msg.slot) } },
    requestId,
  });
  // slots may finish out of order (retries): the history only moves forward
  await db
    .update(schedules)
    .set({ lastRan: msg.slot, lastRunId: runId, lastSpawnError: null })
    .where(
      and(
        eq(schedules.id, row.id),
        or(isNull(schedules.lastRan), lte(schedules.lastRan, msg.slot)),
      ),
    );
  return { outcome: "spawned", runId };
}

/** The run a slot starts: the schedule's prompt and config, its metadata plus the slot's own keys. */
function runRequest(row: ScheduleRow, msg: ScheduleSpawnMessage): RunAgentRequest {
  const late = msg.slot < msg.tick;
  const metadata: Record<string, string> = {
    ...((row.metadata as Record<string, string> | null) ?? {}),
    "ambit.schedule_slot": iso(msg.slot),
    ...(late ? { "ambit.catch_up": "true" } : {}),
    ...(msg.missed
      ? {
          "ambit.missed_slots":
            msg.missed >= MAX_COUNTED_MISSES ? `${MAX_COUNTED_MISSES}+` : String(msg.missed),
        }
      : {}),
  };
  return {
    prompt: row.prompt,
    title: row.name,
    team: row.scope === "Team",
    metadata,
    ...(row.mode ? { mode: row.mode as RunAgentRequest["mode"] } : {}),
  };
}

/** Records on each schedule that a claimed slot could not be queued (the tick's send failed twice). */
export async function recordQueueFailure(
  env: Env,
  messages: ScheduleSpawnMessage[],
  error: string,
) {
  await recordSpawnErrors(
    env,
    messages,
    (m) => `${iso(m.slot)}: the run could not be queued (${error}); the next slot will try again`,
  );
}

/** Records on each schedule that a slot's run never started after every retry (dead-letter queue). */
export async function recordDeadLetters(env: Env, messages: ScheduleSpawnMessage[]) {
  await recordSpawnErrors(
    env,
    messages,
    (m) =>
      `${iso(m.slot)}: the run could not be started after several attempts; the next slot will try again`,
  );
}

async function recordSpawnErrors(
  env: Env,
  messages: ScheduleSpawnMessage[],
  text: (m: ScheduleSpawnMessage) => string,
) {
  const db = createDb(env.DB);
  for (let i = 0; i < messages.length; i += 50) {
    const chunk = messages.slice(i, i + 50);
    await db.batch(
      chunk.map((m) =>
        db
          .update(schedules)
          .set({ lastSpawnError: text(m) })
          .where(eq(schedules.id, m.schedule_id)),
      ) as [never, ...never[]],
    );
    await Promise.all(chunk.map((m) => spawnFailed(env, m, text(m))));
  }
}

/** The `schedule.spawn_failed` event of a slot whose error was just recorded on its schedule. */
function spawnFailed(
  env: Env,
  slot: Pick<ScheduleSpawnMessage, "team_id" | "schedule_id" | "slot">,
  error: string,
) {
  return emitPlatformEventOrLog(env, {
    team_id: slot.team_id,
    type: "schedule.spawn_failed",
    data: { schedule_id: slot.schedule_id, slot: iso(slot.slot), error },
  });
}
