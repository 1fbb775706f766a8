// Per-team limits (concurrent runs, run time) and the RunSession timers that make a stop final
// even when a host never confirms it. Runs are inserted into D1 and offered to the pool directly.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CAPACITY_POLL_MS } from "../../durable-objects/host-pool/dispatch.ts";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import {
  heldGet,
  migrate as migratePool,
  setDue,
} from "../../durable-objects/host-pool/storage.ts";
import { updateRun } from "../../durable-objects/run-session/storage.ts";
import { call, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { poolState, poolStub, TestHost, untilRun } from "../helpers/hosts.ts";
import { eventsOf, insertRunRow, RUNS, sessionOf } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

const queuedRun = async (team: Team, pool = "warp") =>
  (
    await insertRunRow(team, {
      prompt: "Work",
      title: "Work",
      worker_host: pool === "warp" ? null : pool,
    })
  ).id;
const offer = (team: Team, runId: string, pool = "warp") =>
  poolStub(team.teamId, pool).offer({ runId, teamId: team.teamId, pool, executionId: 1 });
const getRun = async (team: Team, runId: string) =>
  (await call("GET", `${RUNS}/${runId}`, { key: team.key })).json as Json;
const setLimits = (team: Team, limits: Json) =>
  call("PATCH", "/api/v1/team", { key: team.key, body: { limits } });

/**
 * Moves a run's timers `ms` into the past (the session's, in memory and in storage, and the time
 * its pool asks about its deadline), then fires the pool's alarm (which watches the deadline)
 * and the session's own (the grace of a stop).
 */
async function elapse(team: Team, runId: string, ms: number) {
  await backdateTimers(team, runId, ms, { session: true });
  await runDurableObjectAlarm(poolStub(team.teamId));
  await runDurableObjectAlarm(sessionOf(runId));
}

/** Moves the session's timers and (or only) its pool's `due_at` for the run `ms` into the past. */
async function backdateTimers(team: Team, runId: string, ms: number, o: { session: boolean }) {
  if (o.session)
    await runInDurableObject(
      sessionOf(runId) as DurableObjectStub<RunSession>,
      (instance: RunSession, state) => {
        // biome-ignore lint/complexity/useLiteralKeys: a private member, reached by name in a test
        const run = instance["session"].run; // private: the record the alarm reads, reached by name
        if (!run) throw new Error(`the session of ${runId} holds no run`);
        for (const k of ["deadline_at", "timed_out_at", "cancel_requested_at"] as const)
          if (run[k] !== null) run[k] -= ms;
        updateRun(state.storage.sql, run);
      },
    );
  await runInDurableObject(poolStub(team.teamId), (_: HostPool, state) => {
    const h = heldGet(state.storage.sql, runId);
    if (h?.due_at != null) setDue(state.storage.sql, runId, h.due_at - ms);
  });
}

/** A run of a new team whose maximum run time is `seconds`, taken (claimed and started) by its host. */
async function heldRun(seconds: number) {
  const t = await newTeam("limits");
  await setLimits(t, { max_run_time_seconds: seconds });
  const host = await TestHost.connect(t.key, "warp");
  const r = await queuedRun(t);
  await offer(t, r);
  await host.take(t.key, r);
  return { t, host, r };
}

/** When the pool will ask about the run's deadline next (null: never; undefined: not held). */
const dueOf = async (team: Team, runId: string) =>
  runInDurableObject(
    poolStub(team.teamId),
    (_: HostPool, state) => heldGet(state.storage.sql, runId)?.due_at,
  );

describe("team limits: the API", () => {
  it("GET /team shows the defaults; PATCH /team changes them (admin only) and validates", async () => {
    const t = await newTeam("limits");
    expect((await call("GET", "/api/v1/team", { key: t.key })).json.limits).toEqual({
      max_concurrent_runs: 10,
      max_run_time_seconds: 14_400,
    });
    const patched = await setLimits(t, { max_concurrent_runs: 3 });
    expect(patched.status).toBe(200);
    expect(patched.json.limits).toEqual({ max_concurrent_runs: 3, max_run_time_seconds: 14_400 });

    const bad = await setLimits(t, { max_concurrent_runs: 0, max_run_time_seconds: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: Json) => e.path).sort()).toEqual([
      "limits.max_concurrent_runs",
      "limits.max_run_time_seconds",
    ]);
    expect((await call("PATCH", "/api/v1/team", { key: t.key, body: {} })).json.detail).toMatch(
      /nothing to change/,
    );

    const member = await memberKey(t.key, "admin");
    expect((await setLimits({ ...t, key: member.key }, { max_concurrent_runs: 4 })).status).toBe(
      200,
    );
    const plain = await memberKey(t.key, "member");
    const refused = await setLimits({ ...t, key: plain.key }, { max_concurrent_runs: 50 });
    expect(refused.status).toBe(403);
    const renamed = await call("PATCH", "/api/v1/team", { key: t.key, body: { name: "Renamed" } });
    expect(renamed.json).toMatchObject({ name: "Renamed", limits: { max_concurrent_runs: 4 } });
  });
});

describe("team limits: concurrent runs", () => {
  it("holds the team to max_concurrent_runs across hosts, says why runs wait, and starts the next when one ends", async () => {
    const t = await newTeam("limits");
    await setLimits(t, { max_concurrent_runs: 2 });
    const host = await TestHost.connect(t.key, "warp", { capacity: 5 });
    const [a, b, c] = [await queuedRun(t), await queuedRun(t), await queuedRun(t)];
    for (const r of [a, b, c]) await offer(t, r);
    await host.assignmentOf(a);
    await host.assignmentOf(b);
    expect(host.assignments().map((x) => x.run_id)).toEqual([a, b]);
    const waiting = await getRun(t, c);
    expect(waiting.state).toBe("QUEUED");
    expect(waiting.status_message.message).toMatch(
      /^Waiting: the team's concurrency limit is reached \(2 of 2 runs active; position 1 in line\)/,
    );
    expect(waiting.status_message.message).toMatch(/PATCH \/api\/v1\/team/);

    await host.take(t.key, a);
    host.complete(a, { message: "done" });
    await host.assignmentOf(c);
    expect((await poolState(t.teamId)).held.map((h) => h.run_id).sort()).toEqual([b, c].sort());
    host.close();
  });

  it("counts runs held by the team's other pools, and looks again on its alarm when one of them ends", async () => {
    const t = await newTeam("limits");
    await setLimits(t, { max_concurrent_runs: 1 });
    const other = await TestHost.connect(t.key, "w-other", { capacity: 1 });
    const busy = await queuedRun(t, "w-other");
    await offer(t, busy, "w-other");
    await other.take(t.key, busy);

    const host = await TestHost.connect(t.key, "warp", { capacity: 4 });
    const r = await queuedRun(t);
    await offer(t, r);
    expect((await getRun(t, r)).status_message.message).toMatch(/1 of 1 runs active/);
    expect(host.assignments()).toEqual([]);
    const alarm = await runInDurableObject(
      poolStub(t.teamId) as DurableObjectStub<HostPool>,
      (_: HostPool, s) => s.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeLessThanOrEqual(CAPACITY_POLL_MS);

    other.complete(busy, { message: "done" });
    await untilRun(t.key, busy, (x) => x.state === "SUCCEEDED");
    await runDurableObjectAlarm(poolStub(t.teamId));
    await host.assignmentOf(r);
    host.close();
    other.close();
  });

  it("POST /agent/runs answers at_capacity: true when the team is at its limit, and omits it otherwise", async () => {
    const t = await newTeam("limits");
    await setLimits(t, { max_concurrent_runs: 1 });
    const create = (prompt: string) => call("POST", RUNS, { key: t.key, body: { prompt } });
    const first = await create("one");
    expect(first.json).toEqual({
      run_id: expect.any(String),
      task_id: expect.any(String),
      state: "QUEUED",
    });
    // a run a host holds (D1 says INPROGRESS)
    await insertRunRow(t, { state: "INPROGRESS" });
    const second = await create("two");
    expect(second.json).toMatchObject({ state: "QUEUED", at_capacity: true });
  });
});

describe("team limits: run time, and stops a host never confirms", () => {
  it("a run past max_run_time_seconds is told to stop and ends FAILED (budget_exceeded) when its host confirms", async () => {
    const { t, host, r } = await heldRun(600);
    await elapse(t, r, 601_000);
    const c = await host.cancellationOf(r);
    expect(c.data.reason).toMatch(/maximum run time of 10 min/);
    const stop = (await eventsOf({ runId: r, teamId: t.teamId }))!.filter(
      (e) => e.type === "run.cancel_requested",
    );
    expect(stop).toMatchObject([
      { actor: { type: "system", id: "limits" }, payload: { state: "INPROGRESS" } },
    ]);
    host.complete(r, { task_state: "CANCELLED", message: "stopped" });
    const run = await untilRun(t.key, r, (x) => x.state === "FAILED");
    expect(run.status_message).toMatchObject({ error_code: "budget_exceeded", retryable: false });
    expect(run.status_message.message).toMatch(/limits\.max_run_time_seconds/);
    host.close();
  });

  it("the pool holding a run watches its deadline: the session sets no alarm for it, and is asked again at its own deadline", async () => {
    const given = Date.now();
    const { t, host, r } = await heldRun(600);
    const alarmOf = () =>
      runInDurableObject(sessionOf(r), (_: RunSession, state) => state.storage.getAlarm());
    expect(await alarmOf()).toBeNull();
    const due = await dueOf(t, r);
    expect(due).toBeGreaterThanOrEqual(given + 600_000 - 1_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 600_000);
    // the pool asks before the deadline (its host started the run after it was assigned): the
    // session answers with the deadline itself, and nothing stops
    await backdateTimers(t, r, 600_500, { session: false });
    await runDurableObjectAlarm(poolStub(t.teamId));
    const deadline = await runInDurableObject(
      sessionOf(r) as DurableObjectStub<RunSession>,
      // biome-ignore lint/complexity/useLiteralKeys: a private member, reached by name in a test
      (instance: RunSession) => instance["session"].run?.deadline_at,
    );
    expect(await dueOf(t, r)).toBe(deadline);
    expect(deadline).toBeGreaterThan(Date.now());
    const stops = async () =>
      (await eventsOf({ runId: r, teamId: t.teamId }))!.filter(
        (e) => e.type === "run.cancel_requested",
      );
    expect(await stops()).toEqual([]);
    expect(await alarmOf()).toBeNull();
    // past it: told to stop, and from then the session's own alarm watches the grace
    await backdateTimers(t, r, 601_000, { session: true });
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect((await host.cancellationOf(r)).data.reason).toMatch(/maximum run time of 10 min/);
    expect(await stops()).toHaveLength(1);
    expect(await dueOf(t, r)).toBeNull();
    expect(await alarmOf()).toBeGreaterThan(Date.now());
    host.close();
  });

  it("a deadline check that fails is made again at the pool's next alarm", async () => {
    const { t, host, r } = await heldRun(600);
    await backdateTimers(t, r, 601_000, { session: true });
    const due = await dueOf(t, r);
    // the run's session cannot be reached for one alarm
    await runInDurableObject(poolStub(t.teamId), (instance: HostPool) => {
      // biome-ignore lint/complexity/useLiteralKeys: a private member, reached by name in a test
      const holds = instance["holds"] as unknown as { session: (id: string) => unknown };
      const real = holds.session.bind(holds);
      holds.session = () => {
        holds.session = real;
        return { watchDeadline: () => Promise.reject(new Error("session unreachable")) };
      };
    });
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect(await dueOf(t, r)).toBe(due); // still due: asked again
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect((await host.cancellationOf(r)).data.reason).toMatch(/maximum run time of 10 min/);
    expect(await dueOf(t, r)).toBeNull();
    host.close();
  });

  it("a pool upgraded to watch deadlines asks at once about the runs it held before (their sessions answer when to ask again)", async () => {
    const t = await newTeam("limits");
    const rows = await runInDurableObject(poolStub(t.teamId), (_: HostPool, state) => {
      const sql = state.storage.sql;
      // the schema before: no due_at
      sql.exec("ALTER TABLE held DROP COLUMN due_at");
      state.storage.kv.put("schema_version", 6);
      sql.exec(
        `INSERT INTO held (run_id, team_id, execution_id, conn, worker_id, assigned_at, claimed)
         VALUES ('r-1', ?, 1, 'c-1', 'w-1', 1000, 1)`,
        t.teamId,
      );
      migratePool(sql, state.storage.kv);
      return {
        rows: sql.exec("SELECT run_id, due_at FROM held").toArray(),
        version: state.storage.kv.get("schema_version"),
      };
    });
    expect(rows).toEqual({ rows: [{ run_id: "r-1", due_at: 1000 }], version: 7 });
  });

  it("a host that never confirms the stop: the run ends FAILED after the grace and the slot is freed", async () => {
    const { t, host, r } = await heldRun(60);
    await elapse(t, r, 61_000);
    await host.cancellationOf(r);
    expect((await getRun(t, r)).state).toBe("INPROGRESS");
    await elapse(t, r, 31_000);
    const run = await untilRun(t.key, r, (x) => x.state === "FAILED");
    expect(run.status_message.message).toMatch(/did not confirm within 30 s/);
    expect((await poolState(t.teamId)).held).toEqual([]);
    host.close();
  });

  it("a user's cancel the host never confirms ends CANCELLED after the grace, and the host's slot is free", async () => {
    const t = await newTeam("limits");
    const host = await TestHost.connect(t.key, "warp");
    const r = await queuedRun(t);
    await offer(t, r);
    await host.take(t.key, r);
    expect((await call("POST", `${RUNS}/${r}/cancel`, { key: t.key })).status).toBe(200);
    await host.cancellationOf(r);
    await elapse(t, r, 10_000);
    expect((await getRun(t, r)).state).toBe("INPROGRESS"); // within the grace: still the host's to confirm
    await elapse(t, r, 25_000);
    const run = await untilRun(t.key, r, (x) => x.state === "CANCELLED");
    expect(run.status_message.message).toMatch(/^Cancelled: the host did not confirm/);
    const next = await queuedRun(t);
    await offer(t, next);
    await host.assignmentOf(next);
    host.close();
  });
});
