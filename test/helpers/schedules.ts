import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index.ts";
import { call, type Json } from "./api.ts";

export const SCHEDULES = "/api/v1/agent/schedules";

/** Creates a schedule through the API (asserting 201) and returns it. */
export async function createSchedule(key: string, body: Json = {}): Promise<Json> {
  const res = await call("POST", SCHEDULES, {
    key,
    body: {
      name: "Nightly triage",
      cron_schedule: "* * * * *",
      prompt: "Triage new issues",
      ...body,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

export async function getSchedule(key: string, id: string): Promise<Json> {
  const res = await call("GET", `${SCHEDULES}/${id}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** Fires the Worker's every-minute Cron Trigger at `scheduledTime` and waits for it to finish. */
export async function fireCron(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** The schedule's `next_run` in ms, as the API reports it. */
export async function nextRunOf(key: string, id: string): Promise<number> {
  const s = await getSchedule(key, id);
  expect(s.history.next_run, "the schedule has a next run").toEqual(expect.any(String));
  return Date.parse(s.history.next_run);
}

export type ScheduledRunRow = {
  id: string;
  prompt: string;
  title: string;
  scope: string;
  source: string;
  state: string;
  creator_id: string;
  metadata: string | null;
  schedule_info: string | null;
  environment_id: string | null;
};

/** The runs a schedule started, oldest first, straight from D1. */
export async function runsOfSchedule(scheduleId: string): Promise<ScheduledRunRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM runs WHERE schedule_id = ? ORDER BY created_at, id",
  )
    .bind(scheduleId)
    .all<ScheduledRunRow>();
  return results;
}

/**
 * Waits until the schedules have started `count` runs in all (the queue consumer starts them
 * within ~1 s of the tick), then a further `settleMs` in which no further run may appear.
 */
export async function expectRuns(
  scheduleIds: string[],
  count: number,
  { timeoutMs = 10_000, settleMs = 1_500 } = {},
) {
  const total = async () => {
    let n = 0;
    for (const id of scheduleIds) n += (await runsOfSchedule(id)).length;
    return n;
  };
  const deadline = Date.now() + timeoutMs;
  while ((await total()) < count && Date.now() < deadline) await sleep(50);
  await sleep(settleMs);
  expect(await total(), `runs started by ${scheduleIds.length} schedule(s)`).toBe(count);
}

/** Waits until `check` on the schedule (as the API shows it) holds. */
export async function untilSchedule(
  key: string,
  id: string,
  check: (s: Json) => boolean,
  timeoutMs = 10_000,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await getSchedule(key, id);
    if (check(s)) return s;
    if (Date.now() > deadline)
      throw new Error(`schedule ${id} never reached the expected state: ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

/** Test setup: moves a schedule's next slot to a chosen time (what a clock far from now would do). */
export async function setNextRun(id: string, at: number) {
  await env.DB.prepare("UPDATE schedules SET next_run = ? WHERE id = ?").bind(at, id).run();
}

/** Pauses every schedule in the database, so one test's schedules never fire in another's ticks. */
export async function pauseAllSchedules() {
  await env.DB.prepare("UPDATE schedules SET enabled = 0").run();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const MINUTE = 60_000;
