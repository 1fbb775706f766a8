import { describe, expect, it } from "vitest";
import { call, callWithEnv, expectProblem, memberKey, newTeam } from "../helpers/api.ts";

const uniqueEmail = (tag: string) => `${tag}-${crypto.randomUUID()}@example.com`;

describe("POST /api/v1/teams (signup)", () => {
  it("answers 201 with the team, its owner and a plaintext owner key that works", async () => {
    const email = uniqueEmail("signup");
    const res = await call("POST", "/api/v1/teams", {
      body: { name: "  Acme  ", owner: { email, display_name: "Ada" } },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      team: { uid: expect.any(String), name: "Acme" },
      user: { uid: expect.any(String), email },
      api_key: expect.stringMatching(/^ambit_[0-9A-Za-z]{40}$/),
    });

    const team = await call("GET", "/api/v1/team", { key: res.json.api_key });
    expect(team.status, team.text).toBe(200);
    expect(team.json).toMatchObject({
      uid: res.json.team.uid,
      caller: { uid: res.json.user.uid, role: "owner" },
    });
  });

  it("stores the owner's email lower-cased", async () => {
    const email = uniqueEmail("MiXeD").toUpperCase();
    const res = await call("POST", "/api/v1/teams", { body: { name: "Case", owner: { email } } });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.email).toBe(email.toLowerCase());
    const members = await call("GET", "/api/v1/team/members", { key: res.json.api_key });
    expect(members.json.members.map((m: { email: string }) => m.email)).toEqual([
      email.toLowerCase(),
    ]);
  });

  it("reuses the existing user when the owner's email is already known", async () => {
    const email = uniqueEmail("twice");
    const first = await call("POST", "/api/v1/teams", {
      body: { name: "First", owner: { email } },
    });
    const second = await call("POST", "/api/v1/teams", {
      body: { name: "Second", owner: { email: email.toUpperCase() } },
    });
    expect(second.status, second.text).toBe(201);
    expect(second.json.user.uid).toBe(first.json.user.uid);
    expect(second.json.team.uid).not.toBe(first.json.team.uid);
    // each key belongs to its own team
    expect((await call("GET", "/api/v1/team", { key: first.json.api_key })).json.uid).toBe(
      first.json.team.uid,
    );
    expect((await call("GET", "/api/v1/team", { key: second.json.api_key })).json.uid).toBe(
      second.json.team.uid,
    );
  });

  it("refuses an invalid body with 400 naming the field", async () => {
    const res = await call("POST", "/api/v1/teams", {
      body: { name: "", owner: { email: "not-an-email" } },
    });
    const problem = expectProblem(res, 400, "invalid_request");
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "name",
      "owner.email",
    ]);
  });

  it("answers 403 feature_not_available when SIGNUP is closed, and creates nothing", async () => {
    const email = uniqueEmail("closed");
    const res = await callWithEnv({ SIGNUP: "closed" }, "POST", "/api/v1/teams", {
      body: { name: "Closed", owner: { email } },
    });
    const problem = expectProblem(res, 403, "feature_not_available");
    expect(problem.detail).toMatch(/signup is closed/);
    expect(res.headers.get("x-should-retry")).toBe("false");

    // the same email can still sign up once signup is open: no user was created by the refused call
    const open = await call("POST", "/api/v1/teams", { body: { name: "Open", owner: { email } } });
    expect(open.status, open.text).toBe(201);
    const members = await call("GET", "/api/v1/team/members", { key: open.json.api_key });
    expect(members.json.members).toHaveLength(1);
  });
});

describe("GET /api/v1/team", () => {
  it("describes the caller's team, its member count and the caller", async () => {
    const t = await newTeam("acme");
    await memberKey(t.key, "member");
    const res = await call("GET", "/api/v1/team", { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      uid: t.teamId,
      name: expect.stringMatching(/^acme-/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      member_count: 2,
      limits: { max_concurrent_runs: 10, max_run_time_seconds: 14_400 },
      audit_retention_days: 400,
      model_gateway: true,
      // the suite's operator vars (vitest.config.ts); team-rate-limits.test.ts tests them
      rate_limits: expect.objectContaining({ requests: { per_key: 1e6, per_team: 1e6 } }),
      rate_limit_ceilings: expect.objectContaining({ requests: { per_key: 1e6, per_team: 1e6 } }),
      resume_attempts: 2,
      caller: { uid: t.userId, type: "user", role: "owner" },
    });
  });

  it("is readable by a viewer, whose key reports its own role", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const res = await call("GET", "/api/v1/team", { key: viewer.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      uid: t.teamId,
      caller: { uid: viewer.userId, role: "viewer" },
    });
  });

  it("answers each key with its own team only", async () => {
    const a = await newTeam();
    const b = await newTeam();
    expect((await call("GET", "/api/v1/team", { key: a.key })).json.uid).toBe(a.teamId);
    expect((await call("GET", "/api/v1/team", { key: b.key })).json.uid).toBe(b.teamId);
  });

  it("needs an API key", async () => {
    expectProblem(await call("GET", "/api/v1/team"), 401, "authentication_required");
  });
});

describe("concurrent signups", () => {
  it("with the same new email both succeed, as the same user", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(
      [1, 2, 3].map((i) =>
        call("POST", "/api/v1/teams", { body: { name: `Race ${i}`, owner: { email } } }),
      ),
    );
    expect(
      results.map((r) => r.status),
      results.map((r) => r.text).join("\n"),
    ).toEqual([201, 201, 201]);
    expect(new Set(results.map((r) => r.json.user.uid)).size).toBe(1);
  });
});
