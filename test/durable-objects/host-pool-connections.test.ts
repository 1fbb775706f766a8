// What the pool keeps per host connection: a host's state rides on its socket's attachment, whose
// size the runtime caps — the largest hello the protocol accepts (50 labels of 100 characters, 10
// CLIs of the longest names and versions) must still connect, be listed and take work — and what
// it keeps in memory of a connection goes with it.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import { eventually, poolHosts, poolStub, TestHost, untilRun } from "../helpers/hosts.ts";
import { RUNS } from "../helpers/runs.ts";

describe("HostPool: a host's largest hello", () => {
  it("connects, is listed with all it said, and is given a run", async () => {
    const t = await newTeam("attach");
    const labels = Array.from({ length: 50 }, (_, i) => `${i}`.padStart(100, "l"));
    const clis = Array.from({ length: 10 }, (_, i) => ({
      name: `cli-${i}`.padEnd(50, "c"),
      version: "1".padEnd(100, ".0"),
      tested: "2".padEnd(100, ".0"),
      in_tested_range: false,
    }));
    const host = await TestHost.connect(t.key, "warp", {
      capacity: 2,
      labels,
      version: "v".padEnd(100, "x"),
      clis,
    });
    const listed = await eventually("the host listed after its hello", async () =>
      (await poolHosts(t.teamId)).find((h) => h.capacity === 2),
    );
    expect(listed.labels).toEqual(labels);
    expect(listed.clis).toEqual(clis);
    const created = await call("POST", RUNS, { key: t.key, body: { prompt: "Go" } });
    expect(created.status).toBe(200);
    const run = created.json as Json;
    const a = await host.assignmentOf(run.run_id);
    expect(a.run_id).toBe(run.run_id);
    host.heartbeat();
    host.claim(run.run_id);
    await untilRun(t.key, run.run_id, (r) => r.state === "CLAIMED", "CLAIMED");
  });
});

describe("HostPool: what it keeps of closed connections", () => {
  it("forgets a closed connection's last assignment time once it chooses among the open ones", async () => {
    const t = await newTeam("conns");
    const lastAssigned = () =>
      runInDurableObject(
        poolStub(t.teamId),
        // the fairness tie-break's map (durable-objects/host-pool/dispatch.ts)
        (pool: HostPool) =>
          (pool as unknown as { dispatch: { lastAssigned: Map<string, number> } }).dispatch
            .lastAssigned.size,
      );
    for (let i = 0; i < 3; i++) {
      const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
      const created = await call("POST", RUNS, { key: t.key, body: { prompt: `Go ${i}` } });
      const runId = (created.json as Json).run_id as string;
      await host.assignmentOf(runId);
      host.claim(runId);
      host.start(runId);
      host.complete(runId);
      await untilRun(t.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
      host.close();
    }
    // one more host and two runs: choosing among the open connections drops the closed ones'
    // times (the last closed may still count as open at the first choice)
    const last = await TestHost.connect(t.key, "warp", { capacity: 2 });
    for (const prompt of ["Last", "Very last"]) {
      const created = await call("POST", RUNS, { key: t.key, body: { prompt } });
      await last.assignmentOf((created.json as Json).run_id as string);
    }
    expect(await lastAssigned()).toBe(1);
  });
});
