// The HostPool Durable Object, driven through its RPC (`offer`, `cancel`, `hosts`) and real host
// websockets. Runs are inserted straight into D1, so no RUNS queue message races these tests.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOST_GRACE_MS, SILENT_MS } from "../../durable-objects/host-pool/connections.ts";
import { MAX_ATTEMPTS } from "../../durable-objects/host-pool/dispatch.ts";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import { SESSION_MARK_TTL_MS } from "../../durable-objects/host-pool/storage.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import {
  backdateLost,
  eventually,
  poolHosts,
  poolState,
  poolStub,
  sleep,
  TestHost,
  untilRun,
} from "../helpers/hosts.ts";
import { eventsOf, insertRunRow, RUNS } from "../helpers/runs.ts";
import { attach } from "../helpers/sockets.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

/** A QUEUED run of `team` in `pool`, known to D1 only (its RunSession rebuilds itself on first use). */
async function queuedRun(team: Team, pool = "warp", prompt = "Do the thing") {
  const row = await insertRunRow(team, {
    prompt,
    title: prompt,
    worker_host: pool === "warp" ? null : pool,
  });
  return row.id;
}

const offer = (team: Team, runId: string, pool = "warp", executionId = 1) =>
  poolStub(team.teamId, pool).offer({ runId, teamId: team.teamId, pool, executionId });

const getRun = async (team: Team, runId: string) =>
  (await call("GET", `${RUNS}/${runId}`, { key: team.key })).json as Json;
const stateIs = (state: string) => (r: Json) => r.state === state;

describe("HostPool: assignment", () => {
  it("gives no work before hello; after hello the run goes PENDING and the host gets a full task_assignment", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp", false);
    expect(host.welcome).toEqual({
      worker_id: "warp",
      connection_id: expect.any(String),
      heartbeat_interval_ms: expect.any(Number),
    });
    const runId = await queuedRun(t, "warp", "Fix the flaky test");
    expect(await offer(t, runId)).toEqual({ ok: true, status: "waiting" });
    expect((await getRun(t, runId)).state).toBe("QUEUED");
    expect(host.assignments()).toEqual([]);

    host.hello({ capacity: 1, labels: ["linux"], version: "0.1.0" });
    const a = await host.nthAssignment(1);
    expect(a).toEqual({
      task_id: runId,
      run_id: runId,
      execution_id: 1,
      task: {
        id: runId,
        title: "Fix the flaky test",
        prompt: "Fix the flaky test",
        created_at: expect.any(String),
        agent_config: {},
        team_id: t.teamId,
      },
      session: { path: `${RUNS}/${runId}/session`, token: expect.any(String) },
      env_vars: {},
      environment: null,
      model: null,
      secrets: [],
      // the team's model gateway is on by default (docs/gateway.md)
      gateway: { path: "/api/v1/gateway", token: expect.any(String) },
    });
    const run = await untilRun(t.key, runId, stateIs("PENDING"));
    expect(run.status_message.message).toMatch(/Offered to host warp/);
    expect((await poolState(t.teamId)).held).toMatchObject([
      { run_id: runId, conn: host.connectionId, claimed: 0, lost_at: null, attempts: 0 },
    ]);
    host.close();
  });

  it("the assignment's HOST token attaches to the run's session socket and appends events", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    const a = await host.nthAssignment(1);
    host.claim(runId);
    host.start(runId);
    await untilRun(t.key, runId, stateIs("INPROGRESS"));
    const session = await attach(runId, { token: a.session.token });
    expect(session.frames[0]).toMatchObject({
      type: "ready",
      run_id: runId,
      access: "HOST",
      state: "INPROGRESS",
      execution_id: 1,
    });
    session.send({
      type: "append",
      ref: "r1",
      events: [{ host_seq: 1, type: "agent.message", payload: { text: "hello from the host" } }],
    });
    const ack = await session.next("ack", (f) => f.type === "ack" && f.ref === "r1");
    expect(ack.seqs).toHaveLength(1);
    expect(ack.refused).toEqual([]);
    const events = (await eventsOf({ runId, teamId: t.teamId }))!;
    expect(events.at(-1)).toMatchObject({
      seq: ack.seqs[0],
      type: "agent.message",
      actor: { type: "host" },
      payload: { text: "hello from the host" },
    });
    session.close();
    host.close();
  });

  it("respects capacity: a host of capacity 2 gets two runs, the third waits until one ends", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp", { capacity: 2 });
    await eventually("hello", async () => (await poolHosts(t.teamId))[0]?.capacity === 2);
    const [r1, r2, r3] = [
      await queuedRun(t, "warp", "one"),
      await queuedRun(t, "warp", "two"),
      await queuedRun(t, "warp", "three"),
    ];
    expect(await offer(t, r1)).toMatchObject({ status: "assigned" });
    expect(await offer(t, r2)).toMatchObject({ status: "assigned" });
    expect(await offer(t, r3)).toMatchObject({ status: "waiting" });
    await host.nthAssignment(2);
    await sleep(100);
    expect(host.assignedIds()).toEqual([r1, r2]);
    const waiting = await getRun(t, r3);
    expect(waiting.state).toBe("QUEUED");
    expect(waiting.status_message.message).toBe(
      "Waiting: all 1 host of worker_host=warp are busy (position 1 in line)",
    );
    expect((await poolHosts(t.teamId))[0]).toMatchObject({
      capacity: 2,
      running: expect.arrayContaining([r1, r2]),
    });

    host.claim(r1);
    host.start(r1);
    host.complete(r1, { message: "done" });
    await host.nthAssignment(3);
    expect(host.assignedIds()).toEqual([r1, r2, r3]);
    await untilRun(t.key, r3, stateIs("PENDING"));
    host.close();
  });

  it("shares the load: two hosts of equal capacity get runs in turn, then the least loaded gets the next", async () => {
    const t = await newTeam("pool");
    const a = await TestHost.connect(t.key, "warp", { capacity: 3 });
    const b = await TestHost.connect(t.key, "warp", { capacity: 3 });
    await eventually(
      "both hellos",
      async () => (await poolHosts(t.teamId)).filter((h) => h.capacity === 3).length === 2,
    );
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) {
      runs.push(await queuedRun(t, "warp", `run ${i}`));
      expect(await offer(t, runs[i])).toMatchObject({ status: "assigned" });
    }
    await a.nthAssignment(2);
    await b.nthAssignment(2);
    // in turn: whoever got the first run did not get the second, and so on
    const holderOf = (id: string) => (a.assignedIds().includes(id) ? "a" : "b");
    const order = runs.map(holderOf);
    expect(new Set([order[0], order[1]])).toEqual(new Set(["a", "b"]));
    expect(order[2]).toBe(order[0]);
    expect(order[3]).toBe(order[1]);

    // a ends one of its runs: it is now the least loaded, so it gets the next run
    a.claim(a.assignedIds()[0]);
    a.start(a.assignedIds()[0]);
    a.complete(a.assignedIds()[0]);
    await untilRun(t.key, a.assignedIds()[0], stateIs("SUCCEEDED"));
    const next = await queuedRun(t, "warp", "next");
    await offer(t, next);
    await a.assignmentOf(next);
    expect(b.assignedIds()).not.toContain(next);
    a.close();
    b.close();
  });

  it("weighs load by share of capacity: hosts of capacity 4 and 1 take 4 and 1 of 5 runs", async () => {
    const t = await newTeam("pool");
    const big = await TestHost.connect(t.key, "warp", { capacity: 4 });
    const small = await TestHost.connect(t.key, "warp", { capacity: 1 });
    await eventually(
      "both hellos",
      async () => (await poolHosts(t.teamId)).filter((h) => h.capacity > 0).length === 2,
    );
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) {
      runs.push(await queuedRun(t, "warp", `run ${i}`));
      await offer(t, runs[i]);
    }
    await big.nthAssignment(4);
    await small.nthAssignment(1);
    expect(big.assignedIds()).toHaveLength(4);
    expect(small.assignedIds()).toHaveLength(1);
    big.close();
    small.close();
  });
});

describe("HostPool: host messages drive the run", () => {
  it("claim → CLAIMED, started → INPROGRESS, completed → SUCCEEDED with the host's message", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await host.nthAssignment(1);
    host.claim(runId);
    await untilRun(t.key, runId, stateIs("CLAIMED"));
    host.start(runId);
    const started = await untilRun(t.key, runId, stateIs("INPROGRESS"));
    expect(started.started_at).toEqual(expect.any(String));
    host.complete(runId, { message: "Opened PR #12" });
    const done = await untilRun(t.key, runId, stateIs("SUCCEEDED"));
    expect(done.status_message).toEqual({ message: "Opened PR #12" });
    const events = (await eventsOf({ runId, teamId: t.teamId }))!.filter(
      (e) => e.type === "run.state_changed",
    );
    expect(events.map((e) => [e.payload.command, e.actor])).toEqual([
      ["dispatch", { type: "system", id: "dispatch" }],
      ["claim", { type: "host", id: "warp" }],
      ["start", { type: "host", id: "warp" }],
      ["succeed", { type: "host", id: "warp" }],
    ]);
    expect((await poolState(t.teamId)).held).toEqual([]);
    expect((await poolHosts(t.teamId))[0].running).toEqual([]);
    host.close();
  });

  it("handles one host's messages in the order sent, even in a burst", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    for (let i = 0; i < 3; i++) {
      const runId = await queuedRun(t, "warp", `burst ${i}`);
      await offer(t, runId);
      await host.assignmentOf(runId);
      host.claim(runId);
      host.start(runId);
      host.complete(runId, { message: `done ${i}` });
      expect((await untilRun(t.key, runId, stateIs("SUCCEEDED"))).status_message).toEqual({
        message: `done ${i}`,
      });
      await eventually("the slot freed", async () => (await poolState(t.teamId)).held.length === 0);
    }
    expect(host.ofType("error")).toEqual([]);
    host.close();
  });

  it("a claim and the start sent with it update the run's D1 row once (each update rewrites its indexes)", async () => {
    // a trigger of the test's own records every UPDATE of the row: what D1 bills as rows written
    await env.DB.exec("CREATE TABLE IF NOT EXISTS t_run_updates (run_id TEXT, state TEXT)");
    await env.DB.exec(
      "CREATE TRIGGER IF NOT EXISTS t_run_updates AFTER UPDATE ON runs BEGIN " +
        "INSERT INTO t_run_updates VALUES (new.id, new.state); END",
    );
    try {
      const t = await newTeam("pool");
      const host = await TestHost.connect(t.key, "warp", { capacity: 2 });
      const [busy, runId] = [await queuedRun(t, "warp", "busy"), await queuedRun(t)];
      await offer(t, busy);
      await host.take(t.key, busy, false);
      await offer(t, runId);
      await host.assignmentOf(runId);
      // the claim waits behind another run's report, and the start arrives behind it meanwhile
      host.start(busy);
      host.claim(runId);
      host.start(runId);
      await untilRun(t.key, runId, stateIs("INPROGRESS"));
      host.complete(runId, { message: "done" });
      await untilRun(t.key, runId, stateIs("SUCCEEDED"));
      const { results } = await env.DB.prepare("SELECT state FROM t_run_updates WHERE run_id = ?")
        .bind(runId)
        .all<{ state: string }>();
      expect(results.map((r) => r.state)).toEqual(["PENDING", "INPROGRESS", "SUCCEEDED"]);
      // both changes are still in the run's log, in order, and the host got no error
      const events = (await eventsOf({ runId, teamId: t.teamId }))!.filter(
        (e) => e.type === "run.state_changed",
      );
      const commands = ["dispatch", "claim", "start", "succeed"];
      expect(events.map((e) => e.payload.command)).toEqual(commands);
      expect(host.ofType("error")).toEqual([]);
      expect((await poolState(t.teamId)).held.map((h) => h.run_id)).toEqual([busy]);
      host.close();
    } finally {
      await env.DB.exec("DROP TRIGGER IF EXISTS t_run_updates");
    }
  });

  it("task_completed right after the claim (no task_started) still ends the run SUCCEEDED", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await host.take(t.key, runId, false);
    host.complete(runId, { message: "nothing to do" });
    const run = await untilRun(t.key, runId, stateIs("SUCCEEDED"));
    expect(run.status_message).toEqual({ message: "nothing to do" });
    expect((await poolState(t.teamId)).held).toEqual([]);
    host.close();
  });

  it("failed → FAILED with the host's error_code and retryable in status_message", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await host.nthAssignment(1);
    host.claim(runId);
    host.start(runId);
    await untilRun(t.key, runId, stateIs("INPROGRESS"));
    host.fail(runId, {
      message: "tests failed",
      error_code: "external_authentication_required",
      retryable: false,
      exit_code: 1,
    });
    const run = await untilRun(t.key, runId, stateIs("FAILED"));
    expect(run.status_message).toEqual({
      message: "tests failed",
      error_code: "external_authentication_required",
      retryable: false,
    });
    host.close();
  });

  it("failed with task_state ERROR ends ERROR; a fail before the claim still ends the run (ERROR)", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp", { capacity: 2 });
    const [r1, r2] = [await queuedRun(t), await queuedRun(t)];
    await offer(t, r1);
    await offer(t, r2);
    await host.nthAssignment(2);
    host.claim(r1);
    host.start(r1);
    await untilRun(t.key, r1, stateIs("INPROGRESS"));
    host.fail(r1, { message: "disk full", task_state: "ERROR", retryable: true });
    expect((await untilRun(t.key, r1, stateIs("ERROR"))).status_message).toEqual({
      message: "disk full",
      retryable: true,
    });
    host.fail(r2, { message: "could not clone" }); // PENDING: fail is not allowed, error is
    expect((await untilRun(t.key, r2, stateIs("ERROR"))).status_message).toEqual({
      message: "could not clone",
    });
    expect((await poolState(t.teamId)).held).toEqual([]);
    host.close();
  });

  it("answers an error frame for a run the connection does not hold, changing nothing", async () => {
    const t = await newTeam("pool");
    const a = await TestHost.connect(t.key, "warp");
    const b = await TestHost.connect(t.key, "warp", { capacity: 0 });
    const runId = await queuedRun(t);
    await offer(t, runId);
    await a.nthAssignment(1);
    b.complete(runId, { message: "not mine" });
    const err = await b.nth("error", 1);
    expect(err.data).toEqual({
      code: "resource_not_found",
      message: `this connection does not hold run ${runId}`,
    });
    b.claim("no-such-run");
    await b.nth("error", 2);
    expect((await getRun(t, runId)).state).toBe("PENDING");
    a.close();
    b.close();
  });

  it("closes the socket with 1008 on a malformed message (not JSON, unknown type, bad data)", async () => {
    const t = await newTeam("pool");
    for (const bad of [
      "not json {",
      JSON.stringify({ type: "explode", data: {} }),
      JSON.stringify({ type: "hello", data: { capacity: -1 } }),
    ]) {
      const host = await TestHost.connect(t.key, "warp", false);
      host.send(bad);
      const closed = await host.untilClosed();
      expect(closed.code, bad).toBe(1008);
      expect(closed.reason).toMatch(/^bad message/);
    }
  });
});

describe("HostPool: rejections and duplicates", () => {
  it("a rejected run goes back in line and is offered to another host", async () => {
    const t = await newTeam("pool");
    const a = await TestHost.connect(t.key, "warp");
    const b = await TestHost.connect(t.key, "warp");
    await eventually(
      "both hellos",
      async () => (await poolHosts(t.teamId)).filter((h) => h.capacity === 1).length === 2,
    );
    const runId = await queuedRun(t);
    await offer(t, runId);
    const [first, second] = await eventually("an assignment", async () => {
      if (a.assignments().length) return [a, b] as const;
      if (b.assignments().length) return [b, a] as const;
    });
    first.reject(runId, "no GPU here");
    await second.assignmentOf(runId);
    expect(first.assignedIds()).toEqual([runId]);
    const run = await untilRun(t.key, runId, stateIs("PENDING"));
    expect(run.status_message.message).toMatch(/Offered to host warp/);
    const requeue = (await eventsOf({ runId, teamId: t.teamId }))!.find(
      (e) => e.payload.command === "requeue",
    );
    expect(requeue?.payload).toMatchObject({
      from: "PENDING",
      to: "QUEUED",
      status_message: { message: "Queued again: host warp rejected it: no GPU here" },
    });
    expect((await poolState(t.teamId)).held).toMatchObject([
      { run_id: runId, conn: second.connectionId, attempts: 1 },
    ]);
    a.close();
    b.close();
  });

  it(`ends the run ERROR after ${MAX_ATTEMPTS} rejections`, async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      await host.nthAssignment(i);
      host.reject(runId, `attempt ${i}`);
    }
    const run = await untilRun(t.key, runId, stateIs("ERROR"));
    expect(run.status_message).toEqual({
      message: `Could not be started after ${MAX_ATTEMPTS} offers to hosts (last: host warp rejected it: attempt ${MAX_ATTEMPTS})`,
      error_code: "resource_unavailable",
      retryable: true,
    });
    await sleep(100);
    expect(host.assignments()).toHaveLength(MAX_ATTEMPTS);
    expect(await poolState(t.teamId)).toEqual({ line: [], held: [] });
    host.close();
  });

  it("a repeated offer of the same execution never assigns twice (sequential, concurrent, and after the run ended)", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp", { capacity: 5 });
    await eventually("hello", async () => (await poolHosts(t.teamId))[0]?.capacity === 5);
    const runId = await queuedRun(t);
    expect(await offer(t, runId)).toEqual({ ok: true, status: "assigned" });
    expect(await offer(t, runId)).toEqual({ ok: true, status: "duplicate" });

    const other = await queuedRun(t);
    const both = await Promise.all([offer(t, other), offer(t, other), offer(t, other)]);
    expect(both.filter((r) => r.status === "assigned")).toHaveLength(1);
    await host.nthAssignment(2);

    host.claim(runId);
    host.start(runId);
    host.complete(runId);
    await untilRun(t.key, runId, stateIs("SUCCEEDED"));
    await offer(t, runId); // a late redelivery
    await sleep(100);
    expect(host.assignedIds().sort()).toEqual([runId, other].sort());
    expect((await poolState(t.teamId)).line).toEqual([]);
    expect((await getRun(t, runId)).state).toBe("SUCCEEDED");
    host.close();
  });
});

describe("HostPool: why a run waits", () => {
  it("remembers which runs' sessions asked to be told, and forgets those whose run never came into line", async () => {
    const t = await newTeam("pool");
    const [waiting, lost, fresh] = [
      await queuedRun(t, "w-marks"),
      await queuedRun(t, "w-marks"),
      await queuedRun(t, "w-marks"),
    ];
    await offer(t, waiting, "w-marks");
    const pool = poolStub(t.teamId, "w-marks");
    const marks = () =>
      runInDurableObject(pool, (_: HostPool, s) =>
        s.storage.sql
          .exec<{ run_id: string }>("SELECT run_id FROM sessions")
          .toArray()
          .map((r) => r.run_id)
          .sort(),
      );
    expect(await pool.watch(waiting)).toEqual({
      told: expect.stringMatching(/^Waiting: no host is connected/),
    });
    expect(await pool.watch(lost)).toEqual({ told: null }); // not offered (yet)
    // an hour later: the run in line keeps its mark, the one never offered loses it
    await runInDurableObject(pool, (_: HostPool, s) =>
      s.storage.sql.exec("UPDATE sessions SET at = at - ?", SESSION_MARK_TTL_MS + 1),
    );
    await pool.watch(fresh);
    expect(await marks()).toEqual([waiting, fresh].sort());
  });

  it("says no host is connected for the run's worker_host", async () => {
    const t = await newTeam("pool");
    const runId = await queuedRun(t, "gpu-box");
    expect(await offer(t, runId, "gpu-box")).toEqual({ ok: true, status: "waiting" });
    const run = await getRun(t, runId);
    expect(run.state).toBe("QUEUED");
    expect(run.status_message.message).toMatch(
      /^Waiting: no host is connected for worker_host=gpu-box/,
    );
    // its session is not open: the row alone was told, and the session opens from it
    expect(await eventsOf({ runId, teamId: t.teamId })).toMatchObject([
      { type: "run.created", payload: { status_message: run.status_message } },
    ]);
  });

  it("says all N hosts are busy and each run's position in line; the line is first come, first served", async () => {
    const t = await newTeam("pool");
    const a = await TestHost.connect(t.key, "w1");
    const b = await TestHost.connect(t.key, "w1");
    await eventually(
      "both hellos",
      async () => (await poolHosts(t.teamId, "w1")).filter((h) => h.capacity === 1).length === 2,
    );
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) {
      runs.push(await queuedRun(t, "w1", `run ${i}`));
      await offer(t, runs[i], "w1");
    }
    expect((await getRun(t, runs[2])).status_message.message).toBe(
      "Waiting: all 2 hosts of worker_host=w1 are busy (position 1 in line)",
    );
    expect((await getRun(t, runs[3])).status_message.message).toBe(
      "Waiting: all 2 hosts of worker_host=w1 are busy (position 2 in line)",
    );
    expect((await poolState(t.teamId, "w1")).line.map((e) => e.run_id)).toEqual([runs[2], runs[3]]);
    // the first in line goes first when a host frees up
    const holder = a.assignedIds()[0] === runs[0] ? a : b;
    holder.claim(runs[0]);
    holder.start(runs[0]);
    holder.complete(runs[0]);
    await holder.assignmentOf(runs[2]);
    expect((await getRun(t, runs[3])).state).toBe("QUEUED");
    a.close();
    b.close();
  });
});

describe("HostPool: hosts that go away", () => {
  it("a host that disconnects before claiming: its runs go back in line and to another host", async () => {
    const t = await newTeam("pool");
    const a = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await a.nthAssignment(1);
    a.close();
    await untilRun(t.key, runId, stateIs("QUEUED"));
    const requeue = (await eventsOf({ runId, teamId: t.teamId }))!.find(
      (e) => e.payload.command === "requeue",
    );
    expect(requeue?.payload).toMatchObject({
      to: "QUEUED",
      status_message: { message: "Queued again: host warp disconnected before claiming it" },
    });
    // back in line, it is told why it waits now
    await untilRun(
      t.key,
      runId,
      (r) => /^Waiting: no host is connected for worker_host=warp/.test(r.status_message?.message),
      "no host connected",
    );
    expect((await poolState(t.teamId)).line).toMatchObject([{ run_id: runId, attempts: 1 }]);
    const b = await TestHost.connect(t.key, "warp");
    await b.assignmentOf(runId);
    await untilRun(t.key, runId, stateIs("PENDING"));
    b.close();
  });

  it("a host that disconnects after claiming: the run stays until the grace passes, then ends ERROR (retryable) naming the host", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "w-lost");
    const runId = await queuedRun(t, "w-lost");
    await offer(t, runId, "w-lost");
    await host.take(t.key, runId);
    host.close();
    await eventually(
      "the run marked lost",
      async () => (await poolState(t.teamId, "w-lost")).held[0]?.lost_at,
    );
    // within the grace the alarm leaves it alone
    await runDurableObjectAlarm(poolStub(t.teamId, "w-lost"));
    expect((await getRun(t, runId)).state).toBe("INPROGRESS");
    await backdateLost(t.teamId, "w-lost", LOST_GRACE_MS + 1_000);
    expect(await runDurableObjectAlarm(poolStub(t.teamId, "w-lost"))).toBe(true);
    const run = await untilRun(t.key, runId, (r) => r.state !== "INPROGRESS", "the end");
    expect(run.state).toBe("ERROR");
    expect(run.status_message).toEqual({
      message: expect.stringMatching(
        /^Host w-lost stopped answering \(last heard at \d{4}-\d\d-\d\dT[\d:.]+Z\) while it held this run/,
      ),
      error_code: "resource_unavailable",
      retryable: true,
    });
    expect(await poolState(t.teamId, "w-lost")).toEqual({ line: [], held: [] });
  });

  it("a host that reconnects with the same worker_id and lists the run in hello.running keeps it", async () => {
    const t = await newTeam("pool");
    const first = await TestHost.connect(t.key, "w-back");
    const runId = await queuedRun(t, "w-back");
    await offer(t, runId, "w-back");
    await first.take(t.key, runId);
    first.close();
    await eventually(
      "the run marked lost",
      async () => (await poolState(t.teamId, "w-back")).held[0]?.lost_at,
    );
    const again = await TestHost.connect(t.key, "w-back", {
      capacity: 1,
      running: [{ task_id: runId }],
    });
    await eventually(
      "the run adopted",
      async () => (await poolState(t.teamId, "w-back")).held[0]?.conn === again.connectionId,
    );
    expect((await poolState(t.teamId, "w-back")).held[0].lost_at).toBeNull();
    await backdateLost(t.teamId, "w-back", LOST_GRACE_MS + 1_000); // nothing is lost any more
    await runDurableObjectAlarm(poolStub(t.teamId, "w-back"));
    expect((await getRun(t, runId)).state).toBe("INPROGRESS");
    again.complete(runId, { message: "finished after the reconnect" });
    expect((await untilRun(t.key, runId, stateIs("SUCCEEDED"))).status_message).toEqual({
      message: "finished after the reconnect",
    });
    again.close();
  });

  it("another worker_id cannot adopt a run it never held", async () => {
    const t = await newTeam("pool");
    const owner = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await owner.take(t.key, runId);
    // same pool, same worker id would adopt; a stranger naming the run in hello is ignored
    const stranger = await TestHost.connect(t.key, "warp", {
      capacity: 1,
      running: [{ task_id: "someone-elses-run" }],
    });
    await sleep(50);
    expect((await poolState(t.teamId)).held).toMatchObject([
      { run_id: runId, conn: owner.connectionId },
    ]);
    owner.close();
    stranger.close();
  });

  it("a silent host (no message for longer than the lease) is closed by the alarm and its claimed run is lost", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "w-silent");
    const runId = await queuedRun(t, "w-silent");
    await offer(t, runId, "w-silent");
    await host.take(t.key, runId);
    host.heartbeat();
    await sleep(50);
    await runInDurableObject(poolStub(t.teamId, "w-silent"), (_: HostPool, state) => {
      for (const ws of state.getWebSockets("host")) {
        const s = ws.deserializeAttachment() as { last_seen_at: number };
        ws.serializeAttachment({ ...s, last_seen_at: Date.now() - SILENT_MS - 1_000 });
      }
    });
    await runDurableObjectAlarm(poolStub(t.teamId, "w-silent"));
    const closed = await host.untilClosed();
    expect(closed.code).toBe(1011);
    expect(closed.reason).toMatch(/no heartbeat/);
    expect((await poolState(t.teamId, "w-silent")).held).toMatchObject([
      { run_id: runId, lost_at: expect.any(Number) },
    ]);
    expect(await poolHosts(t.teamId, "w-silent")).toEqual([]);
  });
});

describe("HostPool: cancel", () => {
  it("a waiting run is taken out of line at once", async () => {
    const t = await newTeam("pool");
    const runId = await queuedRun(t);
    await offer(t, runId);
    expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([runId]);
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key })).status).toBe(200);
    expect((await getRun(t, runId)).state).toBe("CANCELLED");
    expect((await poolState(t.teamId)).line).toEqual([]);
    const host = await TestHost.connect(t.key, "warp");
    await sleep(200);
    expect(host.assignments()).toEqual([]);
    host.close();
  });

  it("a run cancelled before its offer arrives is never put in line (nor counted in others' positions)", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const busy = await queuedRun(t);
    await offer(t, busy);
    await host.assignmentOf(busy);
    const runId = await queuedRun(t);
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key })).status).toBe(200);
    expect(await offer(t, runId)).toMatchObject({ ok: true }); // the queue message arrives late
    expect((await poolState(t.teamId)).line).toEqual([]);
    const other = await queuedRun(t);
    await offer(t, other);
    expect((await getRun(t, other)).status_message.message).toBe(
      "Waiting: all 1 host of worker_host=warp are busy (position 1 in line)",
    );
    expect((await getRun(t, runId)).state).toBe("CANCELLED");
    host.close();
  });

  it("a PENDING run ends CANCELLED at once; its host is told and the slot is free again", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const [r1, r2] = [await queuedRun(t), await queuedRun(t)];
    await offer(t, r1);
    await offer(t, r2);
    await host.nthAssignment(1);
    expect((await call("POST", `${RUNS}/${r1}/cancel`, { key: t.key })).status).toBe(200);
    expect((await getRun(t, r1)).state).toBe("CANCELLED");
    expect((await host.cancellationOf(r1)).data).toEqual({
      task_id: r1,
      reason: "cancelled before it started",
    });
    await host.assignmentOf(r2);
    // a claim that crosses the cancellation is refused: the connection no longer holds the run
    host.claim(r1);
    expect((await host.nth("error", 1)).data.code).toBe("resource_not_found");
    expect((await getRun(t, r1)).state).toBe("CANCELLED");
    host.close();
  });

  it("a held run gets task_cancellation and ends CANCELLED when the host confirms", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await host.take(t.key, runId);
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key })).status).toBe(200);
    const c = await host.cancellationOf(runId);
    expect(c.data).toEqual({ task_id: runId, reason: `cancelled by user ${t.userId}` });
    expect((await getRun(t, runId)).state).toBe("INPROGRESS");
    const requested = (await eventsOf({ runId, teamId: t.teamId }))!.find(
      (e) => e.type === "run.cancel_requested",
    );
    expect(requested).toMatchObject({
      actor: { type: "user", id: t.userId },
      payload: { state: "INPROGRESS" },
    });
    host.complete(runId, { task_state: "CANCELLED", message: "stopped" });
    const run = await untilRun(t.key, runId, stateIs("CANCELLED"));
    expect(run.status_message).toEqual({ message: "stopped" });
    expect((await poolState(t.teamId)).held).toEqual([]);
    host.close();
  });

  it("a held run also ends CANCELLED when the host answers task_failed with task_state CANCELLED", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "warp");
    const runId = await queuedRun(t);
    await offer(t, runId);
    await host.take(t.key, runId, false); // CLAIMED
    await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key });
    await host.cancellationOf(runId);
    host.fail(runId, { message: "killed", task_state: "CANCELLED" });
    expect((await untilRun(t.key, runId, stateIs("CANCELLED"))).status_message).toEqual({
      message: "killed",
    });
    host.close();
  });

  it("a held run whose host goes away while cancelling ends CANCELLED after the grace", async () => {
    const t = await newTeam("pool");
    const host = await TestHost.connect(t.key, "w-cx");
    const runId = await queuedRun(t, "w-cx");
    await offer(t, runId, "w-cx");
    await host.take(t.key, runId);
    await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key });
    await host.cancellationOf(runId);
    host.close();
    await eventually(
      "the run marked lost",
      async () => (await poolState(t.teamId, "w-cx")).held[0]?.lost_at,
    );
    await backdateLost(t.teamId, "w-cx", LOST_GRACE_MS + 1_000);
    await runDurableObjectAlarm(poolStub(t.teamId, "w-cx"));
    const run = await untilRun(t.key, runId, (r) => r.state !== "INPROGRESS", "the end");
    expect(run.state).toBe("CANCELLED");
    expect(run.status_message.message).toMatch(/^Cancelled: host w-cx went away/);
  });
});
