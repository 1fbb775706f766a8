// Faults on the way from a pool's line to a host that must leave no run lost or stuck: a hand-back
// whose `requeue` call fails is made again before the run is given again (never PENDING for good
// with no host holding it), and a call that hangs is timed out and the line goes on past it.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import type { PoolDeps } from "../../durable-objects/host-pool/dispatch.ts";
import { PUMP_STEP_TIMEOUT_MS } from "../../durable-objects/host-pool/dispatch.ts";
import { type Json, newTeam } from "../helpers/api.ts";
import { eventually, poolState, poolStub, sleep, TestHost, untilRun } from "../helpers/hosts.ts";
import { insertRunRow, sessionOf } from "../helpers/runs.ts";
import { aroundStubs } from "../helpers/stubs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

const offer = (t: Team, runId: string) =>
  poolStub(t.teamId).offer({ runId, teamId: t.teamId, pool: "warp", executionId: 1 });

/**
 * Makes the pool's `requeue` calls to run sessions fail while `outage.down` (the RUN_SESSION
 * binding the pool's dispatch uses is wrapped, in this test only; every other call goes through).
 */
async function failRequeues(t: Team, outage: { down: boolean }) {
  await runInDurableObject(poolStub(t.teamId), (pool: HostPool) => {
    const dispatch = (pool as unknown as { dispatch: { deps: PoolDeps } }).dispatch;
    const real = dispatch.deps.env;
    const RUN_SESSION = aroundStubs(real.RUN_SESSION, ({ method, args, real: call }) =>
      outage.down && method === "command" && args[1] === "requeue"
        ? Promise.reject(new Error("Network connection lost."))
        : call(),
    );
    dispatch.deps = { ...dispatch.deps, env: { ...real, RUN_SESSION } };
  });
}

describe("HostPool: faults leave no run lost or stuck", () => {
  it("a host gone before claiming whose hand-back fails: handed back later, given again", async () => {
    const t = await newTeam("faults-handback");
    const first = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const { id: runId } = await insertRunRow(t, { prompt: "Hand back", title: "Hand back" });
    await offer(t, runId);
    await first.assignmentOf(runId);
    await untilRun(t.key, runId, (r: Json) => r.state === "PENDING");
    const outage = { down: true };
    await failRequeues(t, outage);
    first.close();
    // its session could not be told: the run waits in line owing the hand-back, not lost
    const owed = await eventually("the owed hand-back", async () => {
      const [e] = (await poolState(t.teamId)).line;
      return e?.run_id === runId && e.handback === 1 && e;
    });
    expect(owed.give_failures).toBe(1);
    expect((await poolState(t.teamId)).held).toEqual([]);
    outage.down = false;
    const second = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const a = await second.assignmentOf(runId, 0, 6_000);
    expect(a.execution_id).toBe(1);
    const events = await sessionOf(runId).events({ runId, teamId: t.teamId }, 0, 100);
    const states = events!.events
      .filter((e: Json) => e.type === "run.state_changed")
      .map((e: Json) => e.payload.to);
    expect(states.slice(-3)).toEqual(["PENDING", "QUEUED", "PENDING"]);
    second.close();
  }, 20_000);

  it("a session call that hangs is timed out: the run behind goes, the hung one later", async () => {
    const t = await newTeam("faults-hang");
    const host = await TestHost.connect(t.key, "warp", false);
    const { id: hung } = await insertRunRow(t, { prompt: "Hung", title: "Hung" });
    const { id: behind } = await insertRunRow(t, { prompt: "Behind", title: "Behind" });
    await offer(t, hung);
    await offer(t, behind);
    // the first run's session answers nothing for a while: every call to it waits
    const blockMs = PUMP_STEP_TIMEOUT_MS + 6_000;
    const blocked = runInDurableObject(sessionOf(hung), (_, state) =>
      state.blockConcurrencyWhile(() => new Promise((r) => setTimeout(r, blockMs))),
    );
    await sleep(100);
    const started = Date.now();
    host.hello({ capacity: 2 });
    await host.assignmentOf(behind, 0, PUMP_STEP_TIMEOUT_MS + 4_000);
    expect(Date.now() - started).toBeLessThan(blockMs);
    expect(host.assignedIds()).toEqual([behind]);
    // once its session answers again, the hung run is handed back and given
    await host.assignmentOf(hung, 0, blockMs + PUMP_STEP_TIMEOUT_MS);
    await untilRun(t.key, hung, (r: Json) => r.state === "PENDING");
    expect((await poolState(t.teamId)).held.map((h) => h.run_id).sort()).toEqual(
      [hung, behind].sort(),
    );
    await blocked;
    host.close();
  }, 45_000);
});
