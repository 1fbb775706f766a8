import { afterEach, describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import {
  createSchedule,
  getSchedule,
  MINUTE,
  pauseAllSchedules,
  SCHEDULES,
} from "../helpers/schedules.ts";

afterEach(pauseAllSchedules);

const bad = (key: string, body: Record<string, unknown>) =>
  call("POST", SCHEDULES, {
    key,
    body: { name: "n", cron_schedule: "0 9 * * *", prompt: "p", ...body },
  });

describe("schedules API: the Oz shapes", () => {
  it("creates a schedule (201) with its history, scope, owner and defaults", async () => {
    const t = await newTeam();
    const before = Date.now();
    const s = await createSchedule(t.key, {
      name: "Daily review",
      cron_schedule: "0 9 * * 1-5",
      prompt: "Review open PRs",
      metadata: { team: "api" },
      agent_config: { model_id: "gpt-5", name: "review" },
    });
    expect(s).toMatchObject({
      id: expect.stringMatching(/^[A-Za-z0-9]{22}$/),
      name: "Daily review",
      cron_schedule: "0 9 * * 1-5",
      enabled: true,
      prompt: "Review open PRs",
      last_spawn_error: null,
      agent_config: { model_id: "gpt-5", name: "review" },
      metadata: { team: "api" },
      created_by: { type: "user", uid: t.userId, email: t.email },
      updated_by: { type: "user", uid: t.userId },
      scope: { type: "Team", uid: t.teamId },
      timezone: "UTC",
      overlap_policy: "skip",
      history: { last_ran: null, last_run_id: null },
    });
    const next = new Date(s.history.next_run);
    expect(next.getUTCHours()).toBe(9);
    expect(next.getUTCMinutes()).toBe(0);
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime()).toBeLessThanOrEqual(before + 4 * 86_400_000);
    expect(Date.parse(s.created_at)).toBeGreaterThanOrEqual(before);
  });

  it("lists by name, gets, replaces (PUT) and deletes", async () => {
    const t = await newTeam();
    const b = await createSchedule(t.key, { name: "beta" });
    const a = await createSchedule(t.key, {
      name: "alpha",
      metadata: { k: "v" },
      timezone: "Europe/Berlin",
      overlap_policy: "allow",
    });
    const c = await createSchedule(t.key, { name: "Gamma" });
    const list = await call("GET", SCHEDULES, { key: t.key });
    expect(list.status).toBe(200);
    expect(list.json.schedules.map((s: any) => s.name)).toEqual(["Gamma", "alpha", "beta"]); // binary order, as SQLite sorts
    expect(list.json.schedules.map((s: any) => s.id)).toEqual([c.id, a.id, b.id]);
    expect(await getSchedule(t.key, a.id)).toEqual(list.json.schedules[1]);

    // full replacement: omitted metadata is cleared; the Ambit extensions keep their value
    const put = await call("PUT", `${SCHEDULES}/${a.id}`, {
      key: t.key,
      body: { name: "alpha 2", cron_schedule: "*/15 * * * *", enabled: true, prompt: "new prompt" },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({
      id: a.id,
      name: "alpha 2",
      cron_schedule: "*/15 * * * *",
      prompt: "new prompt",
      timezone: "Europe/Berlin",
      overlap_policy: "allow",
    });
    expect(put.json.metadata).toBeUndefined();
    expect(new Date(put.json.history.next_run).getUTCMinutes() % 15).toBe(0);
    expect(Date.parse(put.json.history.next_run) - Date.now()).toBeLessThanOrEqual(15 * MINUTE);
    expect(Date.parse(put.json.updated_at)).toBeGreaterThanOrEqual(Date.parse(put.json.created_at));

    const del = await call("DELETE", `${SCHEDULES}/${b.id}`, { key: t.key });
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ success: true });
    expectProblem(
      await call("GET", `${SCHEDULES}/${b.id}`, { key: t.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${SCHEDULES}/${b.id}`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("pauses (next_run null) and resumes (next slot after now)", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, { cron_schedule: "*/5 * * * *" });
    const paused = await call("POST", `${SCHEDULES}/${s.id}/pause`, { key: t.key });
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ enabled: false, history: { next_run: null } });
    const resumed = await call("POST", `${SCHEDULES}/${s.id}/resume`, { key: t.key });
    expect(resumed.status).toBe(200);
    expect(resumed.json.enabled).toBe(true);
    const next = Date.parse(resumed.json.history.next_run);
    expect(next).toBeGreaterThan(Date.now() - 1000);
    expect(new Date(next).getUTCMinutes() % 5).toBe(0);
    // created paused
    const off = await createSchedule(t.key, { enabled: false });
    expect(off).toMatchObject({ enabled: false, history: { next_run: null } });
  });

  it("reads the cron in the schedule's time zone", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, { cron_schedule: "0 9 * * *", timezone: "Asia/Kolkata" });
    const next = new Date(s.history.next_run); // 09:00 IST = 03:30 UTC
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 30]);
  });
});

describe("schedules API: validation", () => {
  it("an invalid cron is a 400 that quotes the wrong field", async () => {
    const t = await newTeam();
    const cases: [string, RegExp][] = [
      ["61 * * * *", /field 1 \(minute\) '61' is not valid.*0-59/],
      ["* 24 * * *", /field 2 \(hour\) '24'.*0-23/],
      ["0 9 0 * *", /field 3 \(day of month\) '0'.*1-31/],
      ["0 9 * 13 *", /field 4 \(month\) '13'/],
      ["0 9 * * 8", /field 5 \(day of week\) '8'/],
      ["0 9 * * MON-XYZ", /field 5 \(day of week\) 'MON-XYZ'/],
      ["*/0 * * * *", /field 1 \(minute\) '\*\/0'/],
      ["0 9 * *", /has 4 fields; write exactly 5/],
      ["0 0 9 * * *", /has 6 fields; write exactly 5/],
      ["0 0 30 2 *", /never matches/],
    ];
    for (const [cron, message] of cases) {
      const body = expectProblem(await bad(t.key, { cron_schedule: cron }), 400, "invalid_request");
      expect(body.detail, cron).toMatch(message);
      expect(body.detail).toContain(`cron_schedule '${cron}'`);
      expect(body.errors).toEqual([{ path: "cron_schedule", message: expect.any(String) }]);
    }
    // the same checks on PUT
    const s = await createSchedule(t.key);
    const put = await call("PUT", `${SCHEDULES}/${s.id}`, {
      key: t.key,
      body: { name: "n", cron_schedule: "* 99 * * *", enabled: true, prompt: "p" },
    });
    expect(expectProblem(put, 400, "invalid_request").detail).toMatch(/field 2 \(hour\) '99'/);
    expect((await getSchedule(t.key, s.id)).cron_schedule).toBe("* * * * *");
  });

  it("names every other invalid field", async () => {
    const t = await newTeam();
    const tz = expectProblem(
      await bad(t.key, { timezone: "Mars/Olympus" }),
      400,
      "invalid_request",
    );
    expect(tz.detail).toMatch(/timezone 'Mars\/Olympus' is not an IANA time zone/);
    expect(tz.errors[0].path).toBe("timezone");
    const noPrompt = expectProblem(await bad(t.key, { prompt: undefined }), 400, "invalid_request");
    expect(noPrompt.errors.map((e: any) => e.path)).toContain("prompt");
    expect(
      (await bad(t.key, { prompt: undefined, agent_config: { skill_spec: "acme/api:review" } }))
        .status,
    ).toBe(201);
    const missing = expectProblem(
      await call("POST", SCHEDULES, { key: t.key, body: { prompt: "p" } }),
      400,
      "invalid_request",
    );
    expect(missing.errors.map((e: any) => e.path).sort()).toEqual(["cron_schedule", "name"]);
    const reserved = expectProblem(
      await bad(t.key, { metadata: { "ambit.catch_up": "x" } }),
      400,
      "invalid_request",
    );
    expect(reserved.detail).toMatch(/reserved/);
    expectProblem(await bad(t.key, { overlap_policy: "queue" }), 400, "invalid_request");
    expectProblem(
      await bad(t.key, { agent_config: { skill_spec: "a/b:c", skills: ["a/b:c"] } }),
      400,
      "invalid_request",
    );
    const put = await call("PUT", `${SCHEDULES}/${(await createSchedule(t.key)).id}`, {
      key: t.key,
      body: { name: "n", cron_schedule: "* * * * *", prompt: "p" },
    });
    expect(expectProblem(put, 400, "invalid_request").errors.map((e: any) => e.path)).toEqual([
      "enabled",
    ]);
    const agent = expectProblem(
      await bad(t.key, { agent_uid: "0b3c0b7e-2f1e-4a51-9b7a-3c1d6b9e8f00" }),
      403,
      "feature_not_available",
    );
    expect(agent.detail).toMatch(/agent_uid/);
  });
});

describe("schedules API: access", () => {
  it("viewers read team schedules but cannot write (403)", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const s = await createSchedule(t.key);
    expect((await getSchedule(viewer.key, s.id)).id).toBe(s.id);
    expectProblem(
      await call("POST", SCHEDULES, {
        key: viewer.key,
        body: { name: "n", cron_schedule: "* * * * *", prompt: "p" },
      }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("PUT", `${SCHEDULES}/${s.id}`, {
        key: viewer.key,
        body: { name: "n", cron_schedule: "* * * * *", enabled: true, prompt: "p" },
      }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("POST", `${SCHEDULES}/${s.id}/pause`, { key: viewer.key }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("POST", `${SCHEDULES}/${s.id}/resume`, { key: viewer.key }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("DELETE", `${SCHEDULES}/${s.id}`, { key: viewer.key }),
      403,
      "not_authorized",
    );
    expect(await getSchedule(t.key, s.id)).toMatchObject({ enabled: true, name: s.name });
    // members edit team schedules
    const member = await memberKey(t.key, "member");
    const put = await call("PUT", `${SCHEDULES}/${s.id}`, {
      key: member.key,
      body: { name: "edited", cron_schedule: "* * * * *", enabled: true, prompt: "p" },
    });
    expect(put.status).toBe(200);
    expect(put.json.updated_by.uid).toBe(member.userId);
    expect(put.json.created_by.uid).toBe(t.userId);
  });

  it("another team's schedule is not found (404)", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const s = await createSchedule(a.key);
    for (const [method, path] of [
      ["GET", ""],
      ["PUT", ""],
      ["DELETE", ""],
      ["POST", "/pause"],
      ["POST", "/resume"],
    ] as const) {
      const body =
        method === "PUT"
          ? { name: "n", cron_schedule: "* * * * *", enabled: true, prompt: "p" }
          : undefined;
      expectProblem(
        await call(method, `${SCHEDULES}/${s.id}${path}`, { key: b.key, body }),
        404,
        "resource_not_found",
      );
    }
    expect((await call("GET", SCHEDULES, { key: b.key })).json.schedules).toEqual([]);
    expect((await getSchedule(a.key, s.id)).enabled).toBe(true);
  });

  it("a personal schedule (team: false) is visible and editable only by its owner", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const mine = await createSchedule(admin.key, { name: "mine", team: false });
    expect(mine.scope).toEqual({ type: "User", uid: admin.userId });
    const teamOne = await createSchedule(admin.key, { name: "shared" });
    const ownerView = await call("GET", SCHEDULES, { key: t.key });
    expect(ownerView.json.schedules.map((s: any) => s.id)).toEqual([teamOne.id]); // not even the team owner sees it
    for (const [method, path] of [
      ["GET", ""],
      ["PUT", ""],
      ["DELETE", ""],
      ["POST", "/pause"],
      ["POST", "/resume"],
    ] as const) {
      const body =
        method === "PUT"
          ? { name: "n", cron_schedule: "* * * * *", enabled: true, prompt: "p" }
          : undefined;
      expectProblem(
        await call(method, `${SCHEDULES}/${mine.id}${path}`, { key: t.key, body }),
        404,
        "resource_not_found",
      );
    }
    const adminView = await call("GET", SCHEDULES, { key: admin.key });
    expect(adminView.json.schedules.map((s: any) => s.name)).toEqual(["mine", "shared"]);
    expect((await call("POST", `${SCHEDULES}/${mine.id}/pause`, { key: admin.key })).status).toBe(
      200,
    );
  });
});

describe("schedules API: OpenAPI", () => {
  it("documents every schedules route", async () => {
    const doc = (await call("GET", "/api/v1/openapi.json")).json;
    expect(Object.keys(doc.paths["/agent/schedules"]).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/agent/schedules/{scheduleId}"]).sort()).toEqual([
      "delete",
      "get",
      "put",
    ]);
    expect(doc.paths["/agent/schedules/{scheduleId}/pause"].post).toBeDefined();
    expect(doc.paths["/agent/schedules/{scheduleId}/resume"].post).toBeDefined();
    expect(doc.paths["/agent/schedules"].post.responses["201"]).toBeDefined();
  });
});
