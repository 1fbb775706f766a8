import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, idsOf, listRuns, RUNS, runRow, untilDispatched } from "../helpers/runs.ts";

const TASKS = "/api/v1/agent/tasks";
const LEGACY_CREATE = "/api/v1/agent/run";

const TASK_KEYS = [
  "task_id",
  "title",
  "prompt",
  "state",
  "created_at",
  "updated_at",
  "agent_config",
  "creator",
  "session_id",
  "session_link",
  "source",
  "status_message",
];

describe("GET /agent/tasks (legacy)", () => {
  it("lists runs as TaskItems", async () => {
    const t = await newTeam();
    const config = { name: "nightly", model_id: "m1" };
    const id = await createRun(
      t.key,
      { prompt: "Fix the flaky test\nsoon", config },
      undefined,
      LEGACY_CREATE,
    );
    await untilDispatched({ runId: id, teamId: t.teamId }); // its row changes once more then, with why it waits
    const page = await listRuns(t.key, "", TASKS);
    expect(Object.keys(page).sort()).toEqual(["page_info", "tasks"]);
    expect(page.page_info).toEqual({ has_next_page: false });
    const row = await runRow(id);
    expect(page.tasks).toEqual([
      {
        task_id: id,
        title: "Fix the flaky test",
        prompt: "Fix the flaky test\nsoon",
        state: "QUEUED",
        created_at: new Date(row!.created_at).toISOString(),
        updated_at: new Date(row!.updated_at).toISOString(),
        agent_config: config,
        creator: { type: "user", uid: t.userId },
        session_id: id,
        session_link: `ws://ambit.test${RUNS}/${id}/session`,
        source: "API",
        status_message: {
          message: expect.stringMatching(/^Waiting: no host is connected for worker_host=warp/),
        },
      },
    ]);
    // the TaskItem carries no RunItem-only field
    expect(Object.keys(page.tasks[0]).sort()).toEqual([...TASK_KEYS].sort());
  });

  it("shows the same runs, states and order as /agent/runs", async () => {
    const t = await newTeam();
    const ids = [
      await createRun(t.key, { prompt: "a" }),
      await createRun(t.key, { prompt: "b" }),
      await createRun(t.key, { prompt: "c" }),
    ];
    await call("POST", `${TASKS}/${ids[1]}/cancel`, { key: t.key });
    const runs = await listRuns(t.key);
    const tasks = await listRuns(t.key, "", TASKS);
    expect(idsOf(tasks)).toEqual(idsOf(runs));
    expect(tasks.tasks.map((x: Json) => x.state)).toEqual(runs.runs.map((x: Json) => x.state));
    expect(tasks.tasks.find((x: Json) => x.task_id === ids[1]).state).toBe("CANCELLED");
  });

  it("filters by config_name (and name), state and source", async () => {
    const t = await newTeam();
    const nightly = await createRun(t.key, { prompt: "a", config: { name: "nightly" } });
    const weekly = await createRun(
      t.key,
      { prompt: "b", config: { name: "weekly" } },
      { "x-oz-api-source": "CLI" },
    );
    await createRun(t.key, { prompt: "c" });
    expect(idsOf(await listRuns(t.key, "config_name=nightly", TASKS))).toEqual([nightly]);
    expect(idsOf(await listRuns(t.key, "config_name=weekly", TASKS))).toEqual([weekly]);
    expect(idsOf(await listRuns(t.key, "name=weekly", TASKS))).toEqual([weekly]);
    expect(idsOf(await listRuns(t.key, "config_name=monthly", TASKS))).toEqual([]);
    expect(idsOf(await listRuns(t.key, "source=CLI", TASKS))).toEqual([weekly]);
    expect((await listRuns(t.key, "config_name=weekly", TASKS)).tasks[0].source).toBe("CLI");
  });

  it("paginates with the same cursor", async () => {
    const t = await newTeam();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createRun(t.key, { prompt: `run ${i}` }));
    const first = await listRuns(t.key, "limit=2&sort_by=created_at&sort_order=asc", TASKS);
    expect(first.page_info.has_next_page).toBe(true);
    const second = await listRuns(
      t.key,
      `limit=2&sort_by=created_at&sort_order=asc&cursor=${first.page_info.next_cursor}`,
      TASKS,
    );
    const third = await listRuns(
      t.key,
      `limit=2&sort_by=created_at&sort_order=asc&cursor=${second.page_info.next_cursor}`,
      TASKS,
    );
    expect(third.page_info).toEqual({ has_next_page: false });
    const all = [...idsOf(first), ...idsOf(second), ...idsOf(third)];
    expect([...all].sort()).toEqual([...ids].sort());
    expect(new Set(all).size).toBe(5);
  });

  it("keeps other teams' and others' personal runs out", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const member = await memberKey(a.key, "member");
    const shared = await createRun(a.key, { prompt: "shared" });
    const personal = await createRun(member.key, { prompt: "personal", team: false });
    await createRun(b.key, { prompt: "b's" });
    expect(idsOf(await listRuns(a.key, "", TASKS))).toEqual([shared]);
    expect(idsOf(await listRuns(member.key, "", TASKS)).sort()).toEqual([shared, personal].sort());
    expect(idsOf(await listRuns(b.key, "", TASKS))).not.toContain(shared);
  });

  it("refuses a bad query with 400 and no key with 401", async () => {
    const t = await newTeam();
    expectProblem(await call("GET", `${TASKS}?limit=0`, { key: t.key }), 400, "invalid_request");
    expectProblem(
      await call("GET", `${TASKS}?cursor=nonsense`, { key: t.key }),
      400,
      "invalid_request",
    );
    expectProblem(await call("GET", TASKS), 401, "authentication_required");
  });
});

describe("GET /agent/tasks/{id} (legacy)", () => {
  it("returns the run as a TaskItem", async () => {
    const t = await newTeam();
    const id = await createRun(t.key, { prompt: "Look here", config: { name: "n" } });
    await untilDispatched({ runId: id, teamId: t.teamId }); // so both reads below see the same row
    const res = await call("GET", `${TASKS}/${id}`, { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual([...TASK_KEYS].sort());
    const run = (await call("GET", `${RUNS}/${id}`, { key: t.key })).json;
    expect(run).toMatchObject({
      session_id: id,
      session_link: `ws://ambit.test${RUNS}/${id}/session`,
    });
    expect(res.json).toEqual({
      task_id: id,
      title: run.title,
      prompt: "Look here",
      state: "QUEUED",
      created_at: run.created_at,
      updated_at: run.updated_at,
      agent_config: { name: "n" },
      creator: { type: "user", uid: t.userId },
      session_id: run.session_id,
      session_link: run.session_link,
      source: "API",
      status_message: { message: run.status_message.message },
    });
  });

  it("answers 404 for an unknown id, another team's run and someone else's personal run", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const member = await memberKey(a.key, "member");
    const id = await createRun(a.key);
    const personal = await createRun(member.key, { prompt: "mine", team: false });
    expectProblem(
      await call("GET", `${TASKS}/00000000-0000-7000-8000-000000000000`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expectProblem(await call("GET", `${TASKS}/${id}`, { key: b.key }), 404, "resource_not_found");
    expectProblem(
      await call("GET", `${TASKS}/${personal}`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expect((await call("GET", `${TASKS}/${personal}`, { key: member.key })).status).toBe(200);
  });
});
