// LOCAL runs (`ambit agent run --local`): created through createRun, never dispatched, claimed
// and driven by their creator's CLI over /local/claim and /local/report, kept alive by a lease.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import { updateRun } from "../../durable-objects/run-session/storage.ts";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { attach } from "../helpers/sockets.ts";
import { createRun, eventsOf, idsOf, listRuns, RUNS, sessionOf } from "../helpers/runs.ts";

const SECRETS = "/api/v1/agent/secrets";
const claim = (key: string, id: string) => call("POST", `${RUNS}/${id}/local/claim`, { key });
const report = (key: string, id: string, body: Json) =>
  call("POST", `${RUNS}/${id}/local/report`, { key, body });
const local = (key: string, prompt = "Fix it here") =>
  createRun(key, { prompt, execution_location: "LOCAL" }, { "x-oz-api-source": "CLI" });
const get = async (key: string, id: string) => (await call("GET", `${RUNS}/${id}`, { key })).json;

/** Moves the run's lease (and any cancel mark) `ms` into the past, then fires its alarm. */
async function lapse(runId: string, ms: number) {
  await runInDurableObject(
    sessionOf(runId) as DurableObjectStub<RunSession>,
    (instance: RunSession, state) => {
      // biome-ignore lint/complexity/useLiteralKeys: a private member, reached by name in a test
      const run = instance["session"].run; // private: the record the alarm reads, reached by name
      if (!run) throw new Error(`the session of ${runId} holds no run`);
      if (run.lease_until !== null) run.lease_until -= ms;
      updateRun(state.storage.sql, run);
    },
  );
  await runDurableObjectAlarm(sessionOf(runId));
}

describe("LOCAL runs", () => {
  it("are created QUEUED with execution_location LOCAL and source CLI, listed by the filter, and never offered to a pool", async () => {
    const t = await newTeam();
    const id = await local(t.key);
    const remote = await createRun(t.key);
    const run = await get(t.key, id);
    expect(run).toMatchObject({ state: "QUEUED", execution_location: "LOCAL", source: "CLI" });
    expect(run.status_message.message).toMatch(/CLI that created it/);
    expect(idsOf(await listRuns(t.key, "execution_location=LOCAL"))).toEqual([id]);
    expect(idsOf(await listRuns(t.key, "execution_location=REMOTE"))).toEqual([remote]);
    const types = (await eventsOf({ runId: id, teamId: t.teamId }))!.map((e) => e.type);
    expect(types).toEqual(["run.created"]); // no run.waiting / dispatch from a pool
    expectProblem(
      await call("POST", RUNS, {
        key: t.key,
        body: { prompt: "x", execution_location: "LOCAL", config: { worker_host: "box" } },
      }),
      400,
      "invalid_request",
    );
  });

  it("claim gives the creator the assignment (secrets, HOST token) and the lease; reports drive the states like a host's", async () => {
    const t = await newTeam();
    expect(
      (
        await call("POST", SECRETS, {
          key: t.key,
          body: { name: "TEAM_TOKEN", value: "team-value-1", scope: "team" },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call("POST", SECRETS, {
          key: t.key,
          body: { name: "MY_TOKEN", value: "mine-value-1", scope: "personal" },
        })
      ).status,
    ).toBe(201);
    const id = await local(t.key, "Edit the README");
    const c = await claim(t.key, id);
    expect(c.status, c.text).toBe(200);
    expect(c.json.assignment).toMatchObject({
      run_id: id,
      execution_id: 1,
      task: { prompt: "Edit the README" },
      session: { path: `/api/v1/agent/runs/${id}/session` },
    });
    expect(c.json.assignment.secrets.map((s: Json) => [s.name, s.value]).sort()).toEqual([
      ["MY_TOKEN", "mine-value-1"],
      ["TEAM_TOKEN", "team-value-1"],
    ]);
    expect(c.json.lease_ms).toBeGreaterThan(0);
    expect(c.json.heartbeat_interval_ms).toBeLessThan(c.json.lease_ms);
    expect((await get(t.key, id)).state).toBe("CLAIMED");
    // the token attaches as HOST: events go in like a host's
    const host = await attach(id, { token: c.json.assignment.session.token });
    host.send({
      type: "append",
      ref: "a1",
      events: [
        { host_seq: 1, type: "agent.message", payload: { text: "on it", role: "assistant" } },
      ],
    });
    await host.nth("ack", 1);
    // a second claim is refused
    expectProblem(await claim(t.key, id), 400, "invalid_request");

    let r = await report(t.key, id, { type: "task_started", data: { task_id: id } });
    expect(r.json).toMatchObject({ run_id: id, state: "INPROGRESS", cancel_requested: false });
    r = await report(t.key, id, {
      type: "task_blocked",
      data: { task_id: id, question: "Which file?" },
    });
    expect(r.json.state).toBe("BLOCKED");
    r = await report(t.key, id, { type: "task_unblocked", data: { task_id: id } });
    expect(r.json.state).toBe("INPROGRESS");
    r = await report(t.key, id, { type: "heartbeat", data: { running: [id] } });
    expect(r.json.state).toBe("INPROGRESS");
    r = await report(t.key, id, {
      type: "task_completed",
      data: { task_id: id, message: "Done: README edited" },
    });
    expect(r.json.state).toBe("SUCCEEDED");
    const run = await get(t.key, id);
    expect(run).toMatchObject({
      state: "SUCCEEDED",
      status_message: { message: "Done: README edited" },
    });
    const events = (await eventsOf({ runId: id, teamId: t.teamId }))!;
    expect(JSON.stringify(events)).not.toContain("value-1");
    expect(events.find((e) => e.type === "agent.message")?.actor).toEqual({
      type: "host",
      id: `local:${t.userId}`,
    });
    // a follow-up cannot restart a LOCAL run: its machine is gone
    expect(
      expectProblem(
        await call("POST", `${RUNS}/${id}/followups`, { key: t.key, body: { message: "again" } }),
        400,
        "invalid_request",
      ).detail,
    ).toMatch(/LOCAL/);
    host.close();
  });

  it("a cancel reaches the CLI through its next report; its CANCELLED report ends the run", async () => {
    const t = await newTeam();
    const id = await local(t.key);
    await claim(t.key, id);
    await report(t.key, id, { type: "task_started", data: { task_id: id } });
    expect((await call("POST", `${RUNS}/${id}/cancel`, { key: t.key })).status).toBe(200);
    const r = await report(t.key, id, { type: "heartbeat", data: { running: [id] } });
    expect(r.json).toMatchObject({ state: "INPROGRESS", cancel_requested: true });
    const done = await report(t.key, id, {
      type: "task_completed",
      data: { task_id: id, task_state: "CANCELLED", message: "Cancelled on this machine" },
    });
    expect(done.json.state).toBe("CANCELLED");
  });

  it("only the creator claims and reports (403), members only (403 for viewers), LOCAL only (400), another team's run is 404", async () => {
    const t = await newTeam();
    const other = await memberKey(t.key, "member");
    const viewer = await memberKey(t.key, "viewer");
    const stranger = await newTeam();
    const id = await local(t.key);
    expect(expectProblem(await claim(other.key, id), 403, "not_authorized").detail).toMatch(
      /only the key that created it/,
    );
    expectProblem(await claim(viewer.key, id), 403, "not_authorized");
    expectProblem(await claim(stranger.key, id), 404, "resource_not_found");
    expectProblem(
      await report(stranger.key, id, { type: "heartbeat", data: {} }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await report(other.key, id, { type: "heartbeat", data: {} }),
      403,
      "not_authorized",
    );
    const remote = await createRun(t.key);
    expect(expectProblem(await claim(t.key, remote), 400, "invalid_request").detail).toMatch(
      /only LOCAL runs/,
    );
    expectProblem(
      await report(t.key, remote, { type: "heartbeat", data: {} }),
      400,
      "invalid_request",
    );
    expectProblem(
      await report(t.key, id, { type: "task_claimed", data: { task_id: id } }),
      400,
      "invalid_request",
    );
    expectProblem(await report(t.key, id, { type: "nonsense" }), 400, "invalid_request");
    expect((await get(t.key, id)).state).toBe("QUEUED");
  });

  it("continue --local: an ended run (LOCAL or hosted) gets a new LOCAL execution claimed by its creator, with the follow-up; not while active (400), nor for others (403)", async () => {
    const t = await newTeam();
    const other = await memberKey(t.key, "member");
    const more = (key: string, id: string) =>
      call("POST", `${RUNS}/${id}/local-executions`, { key, body: { message: "Go on here" } });
    const id = await local(t.key);
    await claim(t.key, id);
    expect(expectProblem(await more(t.key, id), 400, "invalid_request").detail).toMatch(
      /only an ended run continues/,
    );
    await report(t.key, id, {
      type: "task_completed",
      data: { task_id: id, task_state: "SUCCEEDED", message: "done" },
    });
    expect(expectProblem(await more(other.key, id), 403, "not_authorized").detail).toMatch(
      /only the key that created it/,
    );
    const c = await more(t.key, id);
    expect(c.status, c.text).toBe(200);
    expect(c.json.assignment).toMatchObject({ run_id: id, execution_id: 2 });
    expect(await get(t.key, id)).toMatchObject({ state: "CLAIMED", execution_location: "LOCAL" });
    const events = (await eventsOf({ runId: id, teamId: t.teamId }))!;
    expect(events.find((e) => e.type === "followup.received")).toMatchObject({
      execution_id: 2,
      payload: { message: "Go on here", execution_id: 2 },
    });
    // a hosted run, once ended, continues here too, and is LOCAL from then on
    const remote = await createRun(t.key);
    expectProblem(await more(t.key, remote), 400, "invalid_request");
    expect((await call("POST", `${RUNS}/${remote}/cancel`, { key: t.key })).status).toBe(200);
    expect((await more(t.key, remote)).status).toBe(200);
    expect(await get(t.key, remote)).toMatchObject({
      state: "CLAIMED",
      execution_location: "LOCAL",
    });
  });

  it("a CLI that stops reporting: the lease lapses and the run ends ERROR saying why; reports renew it", async () => {
    const t = await newTeam();
    const id = await local(t.key);
    await claim(t.key, id);
    await report(t.key, id, { type: "task_started", data: { task_id: id } });
    await lapse(id, 1_000); // still inside the lease
    expect((await get(t.key, id)).state).toBe("INPROGRESS");
    await lapse(id, 10 * 60_000);
    const run = await get(t.key, id);
    expect(run.state).toBe("ERROR");
    expect(run.status_message).toMatchObject({
      error_code: "resource_unavailable",
      message: expect.stringMatching(/CLI running this LOCAL run stopped reporting/),
    });
    // a late report changes nothing and tells the CLI where the run stands
    expect(
      (await report(t.key, id, { type: "task_completed", data: { task_id: id, message: "late" } }))
        .json.state,
    ).toBe("ERROR");
  });

  it("takes none of the team's concurrent slots: hosts' runs are not held back by it", async () => {
    const t = await newTeam();
    expect(
      (
        await call("PATCH", "/api/v1/team", {
          key: t.key,
          body: { limits: { max_concurrent_runs: 1 } },
        })
      ).status,
    ).toBe(200);
    const id = await local(t.key);
    await claim(t.key, id);
    await report(t.key, id, { type: "task_started", data: { task_id: id } });
    const remote = await call("POST", RUNS, { key: t.key, body: { prompt: "on a host" } });
    expect(remote.json).toEqual({
      run_id: expect.any(String),
      task_id: expect.any(String),
      state: "QUEUED",
    }); // no at_capacity
  });

  it("a LOCAL run whose CLI never claims it does not stay QUEUED", async () => {
    const t = await newTeam();
    const id = await local(t.key);
    await lapse(id, 10 * 60_000);
    expect((await get(t.key, id)).state).toBe("ERROR");
  });
});
