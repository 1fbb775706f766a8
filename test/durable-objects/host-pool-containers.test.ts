// PLATFORM_HOSTS=containers without a container engine: the HostPool asks its starter (replaced here
// by one that records the calls; the real one starts a RunnerContainer) for one runner container
// per run waiting in the platform pool, and admits the container's single-run connection.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  MAX_CONTAINER_STARTS,
  type RunnerStarter,
  type StartResult,
} from "../../durable-objects/host-pool/containers.ts";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import { signHostToken } from "../../src/lib/host-token.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import { type Hello, poolHosts, poolStub, sleep, TestHost, untilRun } from "../helpers/hosts.ts";
import { insertRunRow, RUNS } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;
type Start = { runId: string; teamId: string; executionId: number };

async function queuedRun(team: Team, pool = "warp") {
  return (
    await insertRunRow(team, {
      prompt: "Do it",
      title: "Do it",
      worker_host: pool === "warp" ? null : pool,
    })
  ).id;
}

const offer = (team: Team, runId: string, pool = "warp", executionId = 1) =>
  poolStub(team.teamId, pool).offer({ runId, teamId: team.teamId, pool, executionId });

/** Puts a recording starter in the team's pool; `answer` decides each start's result. */
async function watchStarts(
  team: Team,
  pool = "warp",
  answer: (s: Start) => StartResult = () => ({ ok: true }),
) {
  const starts: Start[] = [];
  const starter: RunnerStarter = { start: async (s) => (starts.push(s), answer(s)) };
  await runInDurableObject(poolStub(team.teamId, pool), (p: HostPool) => {
    p.hosting = { mode: "containers", starter };
  });
  return starts;
}

const containerRows = (team: Team) =>
  runInDurableObject(poolStub(team.teamId), (_: HostPool, state) =>
    state.storage.sql
      .exec<{ run_id: string }>("SELECT run_id FROM containers")
      .toArray()
      .map((r) => r.run_id),
  );

/** A host connected with a platform host credential, as a runner container connects. */
async function containerHost(team: Team, runId: string, hello: Hello | false = { capacity: 1 }) {
  const token = await signHostToken(
    env.JWT_SECRET,
    { teamId: team.teamId, runId, executionId: 1 },
    3600,
  );
  return TestHost.connect(token, "warp", hello);
}

const getRun = async (team: Team, runId: string) =>
  (await call("GET", `${RUNS}/${runId}`, { key: team.key })).json as Json;

describe("HostPool with PLATFORM_HOSTS=containers", () => {
  it("starts one container for a run waiting with no host, and never again for it (redelivered offer, alarm)", async () => {
    const t = await newTeam("containers");
    const starts = await watchStarts(t);
    const runId = await queuedRun(t);
    expect(await offer(t, runId)).toEqual({ ok: true, status: "waiting" });
    expect(starts).toEqual([{ runId, teamId: t.teamId, executionId: 1 }]);
    expect((await getRun(t, runId)).status_message.message).toBe(
      "Waiting: a runner container is starting for this run",
    );

    expect(await offer(t, runId)).toEqual({ ok: true, status: "duplicate" });
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect(starts).toHaveLength(1);

    const second = await queuedRun(t);
    await offer(t, second);
    expect(starts.map((s) => s.runId)).toEqual([runId, second]);
    expect((await containerRows(t)).sort()).toEqual([runId, second].sort());
  });

  it("uses connected capacity first: only the run no host can take gets a container", async () => {
    const t = await newTeam("containers-capacity");
    const starts = await watchStarts(t);
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const first = await queuedRun(t);
    expect(await offer(t, first)).toEqual({ ok: true, status: "assigned" });
    expect(starts).toEqual([]);
    const second = await queuedRun(t);
    expect(await offer(t, second)).toEqual({ ok: true, status: "waiting" });
    expect(starts.map((s) => s.runId)).toEqual([second]);
    host.close();
  });

  it("the container's connection gets one run at capacity 1, whatever it offers; an assigned run's container is forgotten", async () => {
    const t = await newTeam("containers-single");
    const starts = await watchStarts(t);
    const [a, b] = [await queuedRun(t), await queuedRun(t)];
    await offer(t, a);
    await offer(t, b);
    expect(starts).toHaveLength(2);

    const host = await containerHost(t, a, { capacity: 5 });
    await host.take(t.key, a);
    expect((await poolHosts(t.teamId)).map((h) => [h.capacity, h.running])).toEqual([[0, [a]]]);
    host.complete(a);
    await untilRun(t.key, a, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    await sleep(200);
    expect(host.assignedIds()).toEqual([a]); // b stays for its own container
    expect(await containerRows(t)).toEqual([b]);
    expect(await poolStub(t.teamId).containerWanted(a)).toBe(false); // idle after its run: may stop
    expect(await poolStub(t.teamId).containerWanted(b)).toBe(true); // not connected yet, b waits
    expect(starts).toHaveLength(2);
    host.close();
  });

  it("a container that reconnects while holding its run is not given another", async () => {
    const t = await newTeam("containers-reconnect");
    await watchStarts(t);
    const [a, b] = [await queuedRun(t), await queuedRun(t)];
    await offer(t, a);
    const first = await containerHost(t, a);
    await first.take(t.key, a);
    first.close();
    const again = await containerHost(t, a, { capacity: 1, running: [{ task_id: a }] });
    await offer(t, b);
    await sleep(200);
    expect(again.assignedIds()).toEqual([]);
    expect((await poolHosts(t.teamId)).map((h) => [h.capacity, h.running])).toEqual([[0, [a]]]);
    again.close();
  });

  it("a container that did not start is tried again from the alarm", async () => {
    const t = await newTeam("containers-retry");
    let fail = true;
    const starts = await watchStarts(t, "warp", () =>
      fail ? { ok: false, message: "no capacity in the region" } : { ok: true },
    );
    const runId = await queuedRun(t);
    await offer(t, runId);
    expect(starts).toHaveLength(1);
    expect(await containerRows(t)).toEqual([]);
    expect((await getRun(t, runId)).status_message.message).toMatch(/no host is connected/);
    fail = false;
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect(starts).toHaveLength(2);
    expect(await containerRows(t)).toEqual([runId]);
    await runDurableObjectAlarm(poolStub(t.teamId));
    expect(starts).toHaveLength(2);
  });

  it("a container that stops while its run waits is replaced from the alarm, up to MAX_CONTAINER_STARTS; then the run ends ERROR", async () => {
    const t = await newTeam("containers-stopped");
    const starts = await watchStarts(t);
    const runId = await queuedRun(t);
    await offer(t, runId);
    expect(starts).toHaveLength(1);
    const pool = poolStub(t.teamId);
    for (let n = 2; n <= MAX_CONTAINER_STARTS; n++) {
      expect(await pool.containerStopped(runId, 1)).toEqual({ ok: true, action: "retry" });
      await runDurableObjectAlarm(pool);
      expect(starts).toHaveLength(n);
    }
    expect(await pool.containerStopped(runId, 2)).toEqual({ ok: true, action: "ended" });
    const run = await untilRun(t.key, runId, (r) => r.state === "ERROR", "ERROR");
    expect(run.status_message).toMatchObject({
      error_code: "resource_unavailable",
      message: expect.stringMatching(
        /3 runner containers stopped without taking this run \(last exit code 2\)/,
      ),
    });
    await runDurableObjectAlarm(pool);
    expect(starts).toHaveLength(MAX_CONTAINER_STARTS);
  });

  it("a container stopping after its run was taken changes nothing", async () => {
    const t = await newTeam("containers-done");
    const starts = await watchStarts(t);
    const runId = await queuedRun(t);
    await offer(t, runId);
    const host = await containerHost(t, runId);
    await host.take(t.key, runId);
    expect(await poolStub(t.teamId).containerStopped(runId, 0)).toEqual({
      ok: true,
      action: "none",
    });
    expect((await getRun(t, runId)).state).toBe("INPROGRESS");
    expect(starts).toHaveLength(1);
    host.close();
  });

  it("starts nothing for a self-hosted pool, nor for the platform pool when the setting is local (the default)", async () => {
    const t = await newTeam("containers-off");
    const selfHosted = await watchStarts(t, "lab");
    await offer(t, await queuedRun(t, "lab"), "lab");
    expect(selfHosted).toEqual([]);

    const runId = await queuedRun(t);
    expect(await offer(t, runId)).toEqual({ ok: true, status: "waiting" });
    expect(await runInDurableObject(poolStub(t.teamId), (p: HostPool) => p.hosting)).toEqual({
      mode: "local",
      starter: null,
    });
    expect(await containerRows(t)).toEqual([]);
    expect((await getRun(t, runId)).status_message.message).toMatch(
      /no host is connected for worker_host=warp/,
    );
  });
});
