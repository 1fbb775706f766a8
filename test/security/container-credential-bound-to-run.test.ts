// Finding 1 (issue 22): the host credential of a runner container the platform started for run A
// (PLATFORM_HOSTS=containers) takes run A's execution and nothing else, once, and dies with it.
// Before the fix it lived 24 h, opened any number of connections, and each was given whatever run
// headed the team's `warp` line: another member's run with their personal secrets.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import type { RunnerStarter } from "../../durable-objects/host-pool/containers.ts";
import { platformHosting } from "../../durable-objects/host-pool/containers.ts";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import { CONTAINER_BOOT_MARGIN_S, signHostToken } from "../../src/lib/host-token.ts";
import { call, expectProblem, memberKey, newTeam, readResponse } from "../helpers/api.ts";
import {
  type Hello,
  hostRequest,
  poolHosts,
  poolState,
  poolStub,
  sleep,
  TestHost,
  untilRun,
} from "../helpers/hosts.ts";
import { insertRunRow } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

/** Containers are "started" by a recording starter, as in host-pool-containers.test.ts. */
async function containersMode(team: Team) {
  const starts: { runId: string; executionId: number }[] = [];
  const starter: RunnerStarter = { start: async (s) => (starts.push(s), { ok: true }) };
  await runInDurableObject(poolStub(team.teamId), (p: HostPool) => {
    p.hosting = { mode: "containers", starter };
  });
  return starts;
}

const offer = (team: Team, runId: string, executionId = 1) =>
  poolStub(team.teamId).offer({ runId, teamId: team.teamId, pool: "warp", executionId });
const credential = (team: Team, runId: string, executionId = 1) =>
  signHostToken(env.JWT_SECRET, { teamId: team.teamId, runId, executionId }, 3600);
const containerHost = async (token: string, hello: Hello = { capacity: 1 }) =>
  TestHost.connect(token, "warp", hello);

/** A team whose member has a personal secret and a run (B) heading the line; the owner's run A is behind it. */
async function lineWithMembersRunFirst(name: string) {
  const t = await newTeam(name);
  const member = await memberKey(t.key, "member");
  const put = await call("POST", "/api/v1/agent/secrets", {
    key: member.key,
    body: { name: "MEMBER_TOKEN", value: "member-personal-value", scope: "personal" },
  });
  expect(put.status, put.text).toBe(201);
  await containersMode(t);
  const b = (
    await insertRunRow(
      { teamId: t.teamId, userId: member.userId },
      { prompt: "member's", title: "member's" },
    )
  ).id;
  const a = (await insertRunRow(t, { prompt: "owner's", title: "owner's" })).id;
  await offer(t, b);
  await offer(t, a);
  expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([b, a]);
  return { t, member, a, b };
}

describe("a runner container's host credential is bound to its run", () => {
  it("a credential for run A, connected while another member's run B heads the line, gets A, never B", async () => {
    const { t, a, b } = await lineWithMembersRunFirst("cred-a-not-b");
    const host = await containerHost(await credential(t, a), { capacity: 5 });
    const got = await host.nthAssignment(1);
    expect(got.task_id).toBe(a);
    await sleep(200);
    expect(host.assignedIds()).toEqual([a]);
    expect(JSON.stringify(host.assignments())).not.toContain("member-personal-value");
    expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([b]);
    host.close();
  });

  it("a credential whose run is not waiting (another run heads the line) gets nothing: it is refused", async () => {
    const { t, b } = await lineWithMembersRunFirst("cred-none");
    const stranger = (await insertRunRow(t)).id; // never offered to the pool
    for (const token of [await credential(t, stranger), await credential(t, b, 2)]) {
      expectProblem(await readResponse(await hostRequest("warp", token)), 403, "not_authorized");
    }
    expect(await poolHosts(t.teamId)).toEqual([]);
    expect((await poolState(t.teamId)).held).toEqual([]);
  });

  it("a second connection with the same credential is refused while the first is live", async () => {
    const { t, a } = await lineWithMembersRunFirst("cred-twice");
    const token = await credential(t, a);
    const first = await containerHost(token);
    await first.nthAssignment(1);
    const second = await readResponse(await hostRequest("warp", token));
    expectProblem(second, 409, "conflict");
    expect(await poolHosts(t.teamId)).toHaveLength(1);
    first.close();
  });

  it("after its run ended the credential is refused", async () => {
    const { t, a } = await lineWithMembersRunFirst("cred-after-end");
    const token = await credential(t, a);
    const host = await containerHost(token);
    await host.take(t.key, a);
    host.complete(a);
    await untilRun(t.key, a, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    // while its first connection is still open, and after it closed
    expect((await readResponse(await hostRequest("warp", token))).status).toBeGreaterThanOrEqual(
      400,
    );
    host.close();
    await sleep(100);
    const body = expectProblem(
      await readResponse(await hostRequest("warp", token)),
      403,
      "not_authorized",
    );
    expect(body.detail).toMatch(/no longer waiting for or held by its container/);
  });

  it("a runner whose socket dropped mid-run reconnects for the same run, and only takes that run", async () => {
    const { t, a, b } = await lineWithMembersRunFirst("cred-reconnect");
    const token = await credential(t, a);
    const first = await containerHost(token);
    await first.take(t.key, a);
    first.close();
    await sleep(100);
    const again = await containerHost(token, { capacity: 1, running: [{ task_id: a }] });
    await sleep(200);
    expect((await poolHosts(t.teamId)).map((h) => h.running)).toEqual([[a]]);
    expect(again.assignedIds()).toEqual([]);
    again.complete(a);
    await untilRun(t.key, a, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([b]);
    again.close();
  });

  it("a runner dropped before it claimed its run is offered that run again on reconnecting", async () => {
    const { t, a } = await lineWithMembersRunFirst("cred-reconnect-unclaimed");
    const token = await credential(t, a);
    const first = await containerHost(token);
    await first.nthAssignment(1);
    first.close();
    await sleep(150);
    const again = await containerHost(token);
    expect((await again.nthAssignment(1)).task_id).toBe(a);
    again.close();
  });

  it("cannot adopt another container's run by saying it holds it", async () => {
    const { t, a, b } = await lineWithMembersRunFirst("cred-adopt");
    const ofB = await containerHost(await credential(t, b));
    await ofB.take(t.key, b);
    const ofA = await containerHost(await credential(t, a), {
      capacity: 1,
      running: [{ task_id: b }],
    });
    await sleep(200);
    const held = (await poolState(t.teamId)).held.find((h) => h.run_id === b)!;
    expect(held.conn).toBe(ofB.connectionId);
    expect(ofA.assignedIds()).not.toContain(b);
    ofA.close();
    ofB.close();
  });

  it("lives the team's maximum run time plus a boot margin, not a day", async () => {
    const t = await newTeam("cred-ttl");
    const patched = await call("PATCH", "/api/v1/team", {
      key: t.key,
      body: { limits: { max_run_time_seconds: 1800 } },
    });
    expect(patched.status, patched.text).toBe(200);
    let minted = "";
    // a stand-in for the containers environment's namespace: only getByName(…).startRunner is called
    const fakeNamespace = {
      getByName: () => ({
        startRunner: async (input: { token: string }) => ((minted = input.token), { ok: true }),
      }),
    };
    const RUNNER_CONTAINER = fakeNamespace as unknown as Env["RUNNER_CONTAINER"];
    const hosting = platformHosting({
      ...env,
      PLATFORM_HOSTS: "containers",
      PUBLIC_URL: "https://ambit.example",
      RUNNER_CONTAINER,
    });
    const runId = (await insertRunRow(t)).id;
    expect(await hosting.starter!.start({ runId, teamId: t.teamId, executionId: 1 })).toEqual({
      ok: true,
    });
    const claims = decodeJwt(minted);
    expect(claims.exp! - claims.iat!).toBe(1800 + CONTAINER_BOOT_MARGIN_S);
    expect(claims).toMatchObject({ run: runId, exec: 1, team: t.teamId });
  });
});
