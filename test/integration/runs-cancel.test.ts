import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, eventsOf, idsOf, listRuns, RUNS, runRow, sessionOf } from "../helpers/runs.ts";

const TASKS = "/api/v1/agent/tasks";

describe("POST /agent/runs/{id}/cancel", () => {
  it("cancels a queued run: 200 with the run id as a JSON string, CANCELLED in GET and in the list", async () => {
    const t = await newTeam();
    const id = await createRun(t.key);
    const res = await call("POST", `${RUNS}/${id}/cancel`, { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.text).toBe(JSON.stringify(id));
    expect(res.json).toBe(id);

    const run = (await call("GET", `${RUNS}/${id}`, { key: t.key })).json;
    expect(run.state).toBe("CANCELLED");
    expect(run.status_message.message).toMatch(/cancelled/i);
    expect(run.is_sandbox_running).toBe(false);
    expect(Date.parse(run.updated_at)).toBeGreaterThanOrEqual(Date.parse(run.created_at));
    expect(
      (await listRuns(t.key)).runs.map((r: { run_id: string; state: string }) => [
        r.run_id,
        r.state,
      ]),
    ).toEqual([[id, "CANCELLED"]]);
    expect(idsOf(await listRuns(t.key, "state=CANCELLED"))).toEqual([id]);
    expect(idsOf(await listRuns(t.key, "state=QUEUED"))).toEqual([]);
    const row = await runRow(id);
    expect(row).toMatchObject({ state: "CANCELLED", summary_seq: 2, started_at: null });
    expect(row!.ended_at).toBe(row!.updated_at);
  });

  it("records run.created (seq 1) then run.state_changed (seq 2) from QUEUED to CANCELLED in the session log", async () => {
    const t = await newTeam();
    const id = await createRun(t.key, { prompt: "cancel me" });
    await call("POST", `${RUNS}/${id}/cancel`, { key: t.key });
    const events = await eventsOf({ runId: id, teamId: t.teamId });
    expect(events).toEqual([
      {
        seq: 1,
        type: "run.created",
        at: expect.any(String),
        actor: { type: "user", id: t.userId },
        execution_id: 1,
        payload: {
          state: "QUEUED",
          prompt: "cancel me",
          status_message: { message: expect.any(String) },
        },
      },
      {
        seq: 2,
        type: "run.state_changed",
        at: expect.any(String),
        actor: { type: "user", id: t.userId },
        execution_id: 1,
        payload: {
          from: "QUEUED",
          to: "CANCELLED",
          command: "cancel",
          status_message: { message: expect.stringMatching(/cancelled/i) },
        },
      },
    ]);
    expect(Date.parse(events![1].at)).toBeGreaterThanOrEqual(Date.parse(events![0].at));
  });

  it("refuses to cancel a run that already ended with 400 invalid_request, changing nothing", async () => {
    const t = await newTeam();
    const id = await createRun(t.key);
    expect((await call("POST", `${RUNS}/${id}/cancel`, { key: t.key })).status).toBe(200);
    const before = await runRow(id);
    for (const path of [`${RUNS}/${id}/cancel`, `${TASKS}/${id}/cancel`]) {
      const problem = expectProblem(
        await call("POST", path, { key: t.key }),
        400,
        "invalid_request",
      );
      expect(problem.detail).toContain("CANCELLED");
    }
    expect(await runRow(id)).toEqual(before);
    expect(await eventsOf({ runId: id, teamId: t.teamId })).toHaveLength(2);
  });

  it("lets a member cancel a teammate's run and refuses a viewer with 403", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const member = await memberKey(t.key, "member");
    const id = await createRun(t.key);
    for (const path of [`${RUNS}/${id}/cancel`, `${TASKS}/${id}/cancel`]) {
      expectProblem(await call("POST", path, { key: viewer.key }), 403, "not_authorized");
    }
    expect((await runRow(id))?.state).toBe("QUEUED");
    const res = await call("POST", `${RUNS}/${id}/cancel`, { key: member.key });
    expect(res.status, res.text).toBe(200);
    const events = await eventsOf({ runId: id, teamId: t.teamId });
    expect(events?.at(-1)?.actor).toEqual({ type: "user", id: member.userId });
  });

  it("answers 404 for another team's run and an unknown id, leaving the run alone", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const id = await createRun(a.key);
    for (const path of [`${RUNS}/${id}/cancel`, `${TASKS}/${id}/cancel`]) {
      expectProblem(await call("POST", path, { key: b.key }), 404, "resource_not_found");
    }
    expectProblem(
      await call("POST", `${RUNS}/00000000-0000-7000-8000-000000000000/cancel`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expect((await runRow(id))?.state).toBe("QUEUED");
    expect(await eventsOf({ runId: id, teamId: a.teamId })).toHaveLength(1);
    // the session itself refuses a caller naming the wrong team
    expect(await eventsOf({ runId: id, teamId: b.teamId })).toBeNull();
  });

  it("legacy POST /agent/tasks/{id}/cancel cancels the same way", async () => {
    const t = await newTeam();
    const id = await createRun(t.key, { prompt: "legacy" }, undefined, "/api/v1/agent/run");
    const res = await call("POST", `${TASKS}/${id}/cancel`, { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toBe(id);
    expect((await call("GET", `${TASKS}/${id}`, { key: t.key })).json.state).toBe("CANCELLED");
    expect((await call("GET", `${RUNS}/${id}`, { key: t.key })).json.state).toBe("CANCELLED");
  });

  it("cancels a run offered to a pool but not yet claimed (PENDING) at once", async () => {
    const t = await newTeam();
    const id = await createRun(t.key);
    const ref = { runId: id, teamId: t.teamId };
    expect(
      await sessionOf(id).command(ref, "dispatch", { type: "system", id: "system" }),
    ).toMatchObject({ ok: true, state: "PENDING" });
    expect((await call("POST", `${RUNS}/${id}/cancel`, { key: t.key })).status).toBe(200);
    expect(await runRow(id)).toMatchObject({ state: "CANCELLED", summary_seq: 3 });
  });

  it("lets exactly one of two simultaneous cancels win", async () => {
    const t = await newTeam();
    const id = await createRun(t.key);
    const results = await Promise.all(
      [1, 2, 3].map(() => call("POST", `${RUNS}/${id}/cancel`, { key: t.key })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    expect((await eventsOf({ runId: id, teamId: t.teamId }))?.map((e) => e.seq)).toEqual([1, 2]);
  });

  it("marks a run a host holds instead of ending it", async () => {
    const t = await newTeam();
    const id = await createRun(t.key);
    const ref = { runId: id, teamId: t.teamId };
    const host = { type: "host" as const, id: "host-1" };
    expect(
      await sessionOf(id).command(ref, "dispatch", { type: "system", id: "system" }),
    ).toMatchObject({ ok: true, state: "PENDING" });
    expect(await sessionOf(id).command(ref, "claim", host)).toMatchObject({
      ok: true,
      state: "CLAIMED",
    });
    const res = await call("POST", `${RUNS}/${id}/cancel`, { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toBe(id);
    expect((await call("GET", `${RUNS}/${id}`, { key: t.key })).json.state).toBe("CLAIMED");
    const events = await eventsOf(ref);
    expect(events?.map((e) => e.type)).toEqual([
      "run.created",
      "run.state_changed",
      "run.state_changed",
      "run.cancel_requested",
    ]);
  });
});
