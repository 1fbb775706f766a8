// Finding 8: tenants set their own ceilings. The operator's vars (MAX_CONCURRENT_RUNS_CEILING,
// MAX_RUN_TIME_CEILING_SECONDS, MAX_SCHEDULES_PER_TEAM, MAX_QUEUED_RUNS_PER_TEAM,
// MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK) bound what any team may set or hold; one team's schedules
// cannot take a whole cron tick from the others.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { RunnerStarter } from "../../durable-objects/host-pool/containers.ts";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import { fireSchedules } from "../../src/cron/schedules.ts";
import { claimDueSlots } from "../../src/services/schedules/claim-slots.ts";
import { call, callWithEnv, expectProblem, newTeam } from "../helpers/api.ts";
import { poolStub } from "../helpers/hosts.ts";
import { insertRunRow, RUNS } from "../helpers/runs.ts";
import {
  createSchedule,
  MINUTE,
  pauseAllSchedules,
  SCHEDULES,
  setNextRun,
} from "../helpers/schedules.ts";

afterEach(pauseAllSchedules);

const patchLimits = (
  key: string,
  limits: Record<string, number>,
  vars: Record<string, string> = {},
) => callWithEnv(vars, "PATCH", "/api/v1/team", { key, body: { limits } });

describe("team limits are capped by the operator's ceilings", () => {
  it("PATCH /team above the default ceilings is refused, naming the ceiling and who raises it", async () => {
    const t = await newTeam("ceilings");
    const runs = expectProblem(
      await patchLimits(t.key, { max_concurrent_runs: 10_000 }),
      400,
      "invalid_request",
    );
    expect(runs.errors).toEqual([
      {
        path: "limits.max_concurrent_runs",
        message: expect.stringMatching(/MAX_CONCURRENT_RUNS_CEILING/),
      },
    ]);
    expect(runs.detail).toMatch(/ceiling of 50 .*operator/);
    const time = expectProblem(
      await patchLimits(t.key, { max_run_time_seconds: 7 * 24 * 3600 }),
      400,
      "invalid_request",
    );
    expect(time.detail).toMatch(/MAX_RUN_TIME_CEILING_SECONDS/);
    // nothing changed
    expect((await call("GET", "/api/v1/team", { key: t.key })).json.limits).toEqual({
      max_concurrent_runs: 10,
      max_run_time_seconds: 14_400,
    });
    // at the ceiling is fine
    expect(
      (await patchLimits(t.key, { max_concurrent_runs: 50, max_run_time_seconds: 86_400 })).status,
    ).toBe(200);
  });

  it("follows the operator's vars, and a lowered ceiling caps teams that set more before", async () => {
    const t = await newTeam("ceilings");
    expectProblem(
      await patchLimits(t.key, { max_concurrent_runs: 6 }, { MAX_CONCURRENT_RUNS_CEILING: "5" }),
      400,
      "invalid_request",
    );
    expect(
      (
        await patchLimits(
          t.key,
          { max_concurrent_runs: 500 },
          { MAX_CONCURRENT_RUNS_CEILING: "1000" },
        )
      ).status,
    ).toBe(200);
    // the operator lowers the ceiling: the team's 500 now counts as 3
    const seen = await callWithEnv(
      { MAX_CONCURRENT_RUNS_CEILING: "3", MAX_RUN_TIME_CEILING_SECONDS: "600" },
      "GET",
      "/api/v1/team",
      { key: t.key },
    );
    expect(seen.json.limits).toEqual({ max_concurrent_runs: 3, max_run_time_seconds: 600 });
  });
});

describe("per-team counts", () => {
  it("a schedule beyond MAX_SCHEDULES_PER_TEAM is refused (403 quota_exceeded); deleting one makes room", async () => {
    const t = await newTeam("schedules-cap");
    const vars = { MAX_SCHEDULES_PER_TEAM: "2" };
    const make = (name: string) =>
      callWithEnv(vars, "POST", SCHEDULES, {
        key: t.key,
        body: { name, cron_schedule: "0 9 * * *", prompt: "p" },
      });
    const first = await make("one");
    expect(first.status).toBe(201);
    expect((await make("two")).status).toBe(201);
    const third = expectProblem(await make("three"), 403, "quota_exceeded");
    expect(third.detail).toMatch(/2 schedules.*MAX_SCHEDULES_PER_TEAM/);
    expect(third.retryable).toBe(false);
    expect((await call("DELETE", `${SCHEDULES}/${first.json.id}`, { key: t.key })).status).toBe(
      200,
    );
    expect((await make("three")).status).toBe(201);
  });

  it("concurrent creations cannot pass MAX_SCHEDULES_PER_TEAM", async () => {
    const t = await newTeam("schedules-race");
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        callWithEnv({ MAX_SCHEDULES_PER_TEAM: "3" }, "POST", SCHEDULES, {
          key: t.key,
          body: { name: `s${i}`, cron_schedule: "0 9 * * *", prompt: "p" },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect((await call("GET", SCHEDULES, { key: t.key })).json.schedules).toHaveLength(3);
  });

  it("a run while the team has MAX_QUEUED_RUNS_PER_TEAM queued is 429 with Retry-After; a cancel makes room", async () => {
    const t = await newTeam("queued-cap");
    const vars = { MAX_QUEUED_RUNS_PER_TEAM: "2" };
    const create = () =>
      callWithEnv(vars, "POST", RUNS, { key: t.key, body: { prompt: "wait for a host" } });
    const a = await create();
    expect(a.status).toBe(200);
    expect((await create()).status).toBe(200);
    const refused = await create();
    const body = expectProblem(refused, 429, "rate_limited");
    expect(body.detail).toMatch(/2 runs.*QUEUED.*MAX_QUEUED_RUNS_PER_TEAM/);
    expect(body.retryable).toBe(true);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // another team is not affected
    const other = await newTeam("queued-cap-other");
    expect(
      (await callWithEnv(vars, "POST", RUNS, { key: other.key, body: { prompt: "p" } })).status,
    ).toBe(200);
    expect((await call("POST", `${RUNS}/${a.json.run_id}/cancel`, { key: t.key })).status).toBe(
      200,
    );
    expect((await create()).status).toBe(200);
    // a follow-up would queue the cancelled run again: refused the same way while the line is full
    const followup = await callWithEnv(vars, "POST", `${RUNS}/${a.json.run_id}/followups`, {
      key: t.key,
      body: { message: "again" },
    });
    expect(expectProblem(followup, 429, "rate_limited").detail).toMatch(/MAX_QUEUED_RUNS_PER_TEAM/);
    expect(
      (
        await callWithEnv(
          { MAX_QUEUED_RUNS_PER_TEAM: "3" },
          "POST",
          `${RUNS}/${a.json.run_id}/followups`,
          { key: t.key, body: { message: "again" } },
        )
      ).status,
    ).toBe(200);
  });
});

describe("one team's schedules cannot starve the others in a tick", () => {
  it("a page serves every team's first due slot before any team's second", async () => {
    await pauseAllSchedules();
    const big = await newTeam("big");
    const small = await newTeam("small");
    const tick = Date.parse("2029-07-01T12:00:00Z");
    // the big team's slots are older, so ordering by slot alone would fill the page with them
    for (let i = 0; i < 6; i++)
      await setNextRun(
        (await createSchedule(big.key, { name: `big ${i}` })).id,
        tick - (10 - i) * MINUTE,
      );
    const mine = await createSchedule(small.key, { name: "small" });
    await setNextRun(mine.id, tick);
    const page = await claimDueSlots(env.DB, tick, 3);
    expect(page.claimed.map((m) => m.team_id)).toContain(small.teamId);
  });

  it("a tick claims at most MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK slots of one team; the rest start at the next tick", async () => {
    await pauseAllSchedules();
    const big = await newTeam("big");
    const small = await newTeam("small");
    const tick = Date.parse("2029-07-02T12:00:00Z");
    const bigIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await createSchedule(big.key, { name: `big ${i}`, cron_schedule: "0 * * * *" });
      await setNextRun(s.id, tick);
      bigIds.push(s.id);
    }
    const mine = await createSchedule(small.key, { name: "small", cron_schedule: "0 * * * *" });
    await setNextRun(mine.id, tick);
    const summary = await fireSchedules(
      { ...env, MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK: "2" },
      tick,
    );
    expect(summary.claimed).toBe(3);
    const nextOf = async (id: string) =>
      (await env.DB.prepare("SELECT next_run FROM schedules WHERE id = ?")
        .bind(id)
        .first<{ next_run: number }>())!.next_run;
    expect(await nextOf(mine.id)).toBe(tick + 60 * MINUTE);
    const bigNext = await Promise.all(bigIds.map(nextOf));
    expect(bigNext.filter((n) => n === tick + 60 * MINUTE)).toHaveLength(2);
    expect(bigNext.filter((n) => n === tick)).toHaveLength(3); // still due: the next tick starts them (late)
  });
});

describe("with PLATFORM_HOSTS=containers, waiting runs get no more containers than the team may run", () => {
  it("a team limited to 2 runs queues 5: 2 containers start; another starts when a run leaves the line", async () => {
    const t = await newTeam("containers-cap");
    expect(
      (
        await call("PATCH", "/api/v1/team", {
          key: t.key,
          body: { limits: { max_concurrent_runs: 2 } },
        })
      ).status,
    ).toBe(200);
    const starts: string[] = [];
    const starter: RunnerStarter = { start: async (s) => (starts.push(s.runId), { ok: true }) };
    await runInDurableObject(poolStub(t.teamId), (p: HostPool) => {
      p.hosting = { mode: "containers", starter };
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = (await insertRunRow(t, { prompt: "p", title: "p" })).id;
      ids.push(id);
      await poolStub(t.teamId).offer({ runId: id, teamId: t.teamId, pool: "warp", executionId: 1 });
    }
    expect(starts).toEqual(ids.slice(0, 2)); // before: one container per waiting run, 5
    expect((await call("POST", `${RUNS}/${ids[0]}/cancel`, { key: t.key })).status).toBe(200);
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect(starts).toEqual(ids.slice(0, 3));
  });
});
