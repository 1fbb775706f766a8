// The housekeeping's sweep of lost dispatches: a REMOTE run QUEUED for minutes that no pool has
// (its RUNS send failed) is offered again and reaches a host; a run waiting in a pool's line is
// left alone. The send fails for real: the run is created through an env whose RUNS binding
// throws (test env only).
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { runHousekeeping } from "../../src/cron/housekeeping.ts";
import { createDb } from "../../src/db/client.ts";
import {
  LOST_AFTER_MS,
  lostRunCandidates,
  redispatchLostRuns,
  SWEEP_CURSOR_KEY,
  SWEEP_PAGE,
} from "../../src/services/runs/redispatch.ts";
import { callWithEnv, type Json, newTeam } from "../helpers/api.ts";
import { eventually, poolState, poolStub, sleep, TestHost, untilRun } from "../helpers/hosts.ts";
import { advance, eventsOf, insertRunRow, RUNS, runRow } from "../helpers/runs.ts";
import { aroundStubs } from "../helpers/stubs.ts";

vi.setConfig({ testTimeout: 30_000 });

type Team = Awaited<ReturnType<typeof newTeam>>;

/** A RUNS binding whose sends fail, as a queue outage makes them. */
const downQueue = {
  send: () => Promise.reject(new Error("queue unavailable")),
  sendBatch: () => Promise.reject(new Error("queue unavailable")),
} as unknown as Queue;

/** Creates a run through the API while the RUNS queue refuses every send: never offered. */
async function lostRun(t: Team, body: Json = { prompt: "Lost on the way" }) {
  const res = await callWithEnv({ RUNS: downQueue }, "POST", RUNS, { key: t.key, body });
  expect(res.status, res.text).toBe(200);
  return res.json.run_id as string;
}

/** A time at which every QUEUED run made by this file is old enough for the sweep. */
const later = () => Date.now() + LOST_AFTER_MS + 60_000;

/** The test env with every HostPool call recorded as `<object name> <method>`. */
function watchedPools() {
  const calls: string[] = [];
  const HOST_POOL = aroundStubs(env.HOST_POOL, ({ name, method, real }) => {
    calls.push(`${name} ${method}`);
    return real();
  });
  return { env: { ...env, HOST_POOL } as Env, calls };
}

describe("housekeeping: QUEUED or PENDING runs no pool has are offered again", () => {
  it("a run whose RUNS send failed is offered by the next tick and reaches a host", async () => {
    const t = await newTeam("lost-send");
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    await eventually("the hello", async () =>
      (await poolStub(t.teamId).hosts()).some((h) => h.capacity > 0),
    );
    const runId = await lostRun(t);
    await sleep(300);
    expect(host.assignments()).toEqual([]);
    expect(await poolState(t.teamId)).toEqual({ line: [], held: [] });
    // not yet: a run is given minutes before it counts as lost
    await runHousekeeping(env, Date.now());
    await sleep(300);
    expect(host.assignments()).toEqual([]);
    const swept = await runHousekeeping(env, later());
    expect(swept.runsRedispatched).toBeGreaterThanOrEqual(1);
    const a = await host.assignmentOf(runId);
    expect(a.execution_id).toBe(1);
    host.claim(runId);
    await untilRun(t.key, runId, (r: Json) => r.state === "CLAIMED");
    host.close();
  });

  it("a PENDING run no pool holds (its pool let go of it unsaid) is handed back and given again", async () => {
    const t = await newTeam("lost-pending");
    const runId = await lostRun(t);
    // what a pool leaves when its hand-back (or the end after the last offer) failed after the
    // run left its holds: the session says PENDING, and no pool has it
    const ref = { runId, teamId: t.teamId };
    await advance(ref, "dispatch");
    expect(await poolState(t.teamId)).toEqual({ line: [], held: [] });
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    await eventually("the hello", async () =>
      (await poolStub(t.teamId).hosts()).some((h) => h.capacity > 0),
    );
    expect(await redispatchLostRuns(env, later())).toBeGreaterThanOrEqual(1);
    const a = await host.assignmentOf(runId);
    host.claim(runId);
    await untilRun(t.key, runId, (r: Json) => r.state === "CLAIMED");
    expect(a.execution_id).toBe(1);
    const events = JSON.stringify(await eventsOf(ref));
    expect(events).toContain("the host it was offered to never took it");
    host.close();
  });

  it("a run waiting in its pool's line for a host is not offered again", async () => {
    const t = await newTeam("lost-waiting");
    const res = await callWithEnv({}, "POST", RUNS, { key: t.key, body: { prompt: "Wait" } });
    const runId = res.json.run_id as string;
    await eventually("the run in line", async () =>
      (await poolState(t.teamId)).line.some((e) => e.run_id === runId),
    );
    const watched = watchedPools();
    await redispatchLostRuns(watched.env, later());
    const ours = watched.calls.filter((c) => c.startsWith(t.teamId));
    expect(ours).toEqual([`${t.teamId}:warp holding`]);
    expect((await runRow(runId))!.state).toBe("QUEUED");
  });

  it("is platform-wide: each lost run goes to its own team's pool; LOCAL runs stay", async () => {
    const [a, b] = [await newTeam("lost-a"), await newTeam("lost-b")];
    const hostA = await TestHost.connect(a.key, "w1", { capacity: 1 });
    const hostB = await TestHost.connect(b.key, "w1", { capacity: 1 });
    const runA = await lostRun(a, { prompt: "A", config: { worker_host: "w1" } });
    const runB = await lostRun(b, { prompt: "B", config: { worker_host: "w1" } });
    const local = await insertRunRow(a, { execution_location: "LOCAL", worker_host: "w1" });
    const watched = watchedPools();
    await redispatchLostRuns(watched.env, later());
    await hostA.assignmentOf(runA);
    await hostB.assignmentOf(runB);
    expect(hostA.assignedIds()).toEqual([runA]);
    expect(hostB.assignedIds()).toEqual([runB]);
    // the LOCAL run was never asked about, and is still only its CLI's to claim
    expect(watched.calls.filter((c) => c.startsWith(`${a.teamId}:`)).length).toBeGreaterThan(0);
    expect((await poolState(a.teamId, "w1")).line.map((e) => e.run_id)).not.toContain(local.id);
    expect((await runRow(local.id))!.state).toBe("QUEUED");
    hostA.close();
    hostB.close();
  });

  it("goes past runs waiting in line: a lost run behind a full page of them is found", async () => {
    const t = await newTeam("lost-behind");
    const old = Date.now() - 3_600_000;
    const waiting = [];
    for (let i = 0; i < SWEEP_PAGE + 5; i++)
      waiting.push(await insertRunRow(t, { created_at: old + i, updated_at: old + i }));
    await poolStub(t.teamId).offerAll(
      waiting.map((r) => ({ runId: r.id, teamId: t.teamId, pool: "warp", executionId: 1 })),
    );
    const lost = await insertRunRow(t, { created_at: old + 100, updated_at: old + 100 });
    // every stale QUEUED run here is looked at once within this many ticks, wherever it starts
    const { results } = await env.DB.prepare(
      "SELECT count(*) AS n FROM runs WHERE state = 'QUEUED' AND execution_location = 'REMOTE'",
    ).all<{ n: number }>();
    const ticks = Math.ceil(results[0].n / SWEEP_PAGE) + 2;
    const inLine = async () => (await poolState(t.teamId)).line.some((e) => e.run_id === lost.id);
    for (let i = 0; i < ticks && !(await inLine()); i++) await redispatchLostRuns(env, later());
    expect(await inLine()).toBe(true);
  });

  it("reads a cursor saved before PENDING runs were swept (no state) as standing among QUEUED ones", async () => {
    const t = await newTeam("lost-old-cursor");
    const runId = await lostRun(t);
    const row = (await runRow(runId))!;
    // just before this run, in the old shape: the sweep goes on from there and finds it, whatever
    // other teams' stale runs (this file's) come before this team's
    const old = { teamId: t.teamId, updatedAt: row.updated_at - 1, id: "0" };
    await env.CONFIG.put(SWEEP_CURSOR_KEY, JSON.stringify(old));
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    await eventually("the hello", async () =>
      (await poolStub(t.teamId).hosts()).some((h) => h.capacity > 0),
    );
    expect(await redispatchLostRuns(env, later())).toBeGreaterThanOrEqual(1);
    await host.assignmentOf(runId);
    host.close();
  });

  it("finds them with one indexed query: teams drive it, no scan of runs, no sort", async () => {
    const db = createDb(env.DB);
    const cursor = { teamId: "t", state: "QUEUED" as const, updatedAt: 1, id: "r" };
    for (const after of [null, cursor]) {
      const q = lostRunCandidates(db, Date.now(), after, SWEEP_PAGE).toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
        .bind(...q.params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join("\n");
      expect(plan).toMatch(
        /SEARCH runs USING INDEX runs_team_state_updated \(team_id=\? AND state=\? AND upd/,
      );
      expect(plan).not.toMatch(/SCAN runs|TEMP B-TREE/);
    }
  });
});
