// The SCHEDULES queue consumer, given batches as the queue delivers them (again, late, or dead-lettered).
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { newTeam } from "../helpers/api.ts";
import {
  createSchedule,
  expectRuns,
  getSchedule,
  nextRunOf,
  pauseAllSchedules,
  runsOfSchedule,
} from "../helpers/schedules.ts";

vi.setConfig({ testTimeout: 30_000 });
afterEach(pauseAllSchedules);

async function deliver(
  queue: "ambit-schedules" | "ambit-schedules-dlq",
  bodies: unknown[],
  attempts = 1,
) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

const spawnBody = (teamId: string, scheduleId: string, slot: number) => ({
  kind: "spawn",
  schedule_id: scheduleId,
  team_id: teamId,
  slot,
  tick: slot,
  missed: 0,
});

describe("SCHEDULES consumer", () => {
  it("a message delivered again (at once or later) starts the slot's run once", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, { overlap_policy: "allow" });
    const slot = await nextRunOf(t.key, s.id);
    await env.DB.prepare("UPDATE schedules SET enabled = 1, next_run = NULL WHERE id = ?")
      .bind(s.id)
      .run(); // no tick may claim it
    const body = spawnBody(t.teamId, s.id, slot);
    const [a, b] = await Promise.all([
      deliver("ambit-schedules", [body, body]),
      deliver("ambit-schedules", [body]),
    ]);
    const c = await deliver("ambit-schedules", [body], 3);
    // one delivery created it; one racing delivery may be told to come back (the slot is being started)
    const retried = [a, b, c].reduce((n, r) => n + r.retryMessages.length, 0);
    expect(retried).toBeLessThanOrEqual(2);
    expect(c.explicitAcks).toHaveLength(1);
    await expectRuns([s.id], 1, { settleMs: 100 });
    // another slot is another run
    await deliver("ambit-schedules", [spawnBody(t.teamId, s.id, slot + 60_000)]);
    await expectRuns([s.id], 2, { settleMs: 100 });
    expect((await getSchedule(t.key, s.id)).history.last_ran).toBe(
      new Date(slot + 60_000).toISOString(),
    );
    // an older slot finishing late does not move the history back
    await deliver("ambit-schedules", [spawnBody(t.teamId, s.id, slot - 60_000)]);
    await expectRuns([s.id], 3, { settleMs: 100 });
    expect((await getSchedule(t.key, s.id)).history.last_ran).toBe(
      new Date(slot + 60_000).toISOString(),
    );
  });

  it("a dead-lettered slot becomes the schedule's last_spawn_error; unknown messages are dropped", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key);
    const slot = await nextRunOf(t.key, s.id);
    const result = await deliver(
      "ambit-schedules-dlq",
      [spawnBody(t.teamId, s.id, slot), { kind: "nonsense" }],
      6,
    );
    expect(result.explicitAcks).toHaveLength(2);
    const after = await getSchedule(t.key, s.id);
    expect(after.last_spawn_error).toContain(new Date(slot).toISOString());
    expect(after.last_spawn_error).toMatch(/could not be started after several attempts/);
    expect(await runsOfSchedule(s.id)).toEqual([]);
  });

  it("a slot of a deleted or paused schedule starts nothing", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key);
    const slot = await nextRunOf(t.key, s.id);
    await env.DB.prepare("UPDATE schedules SET enabled = 0 WHERE id = ?").bind(s.id).run();
    const r = await deliver("ambit-schedules", [
      spawnBody(t.teamId, s.id, slot),
      spawnBody(t.teamId, "nope", slot),
    ]);
    expect(r.explicitAcks).toHaveLength(2);
    await expectRuns([s.id], 0, { settleMs: 100 });
  });
});
