import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";

const email = (tag: string) => `${tag}-${crypto.randomUUID()}@example.com`;
const members = "/api/v1/team/members";

describe("GET /api/v1/team/members", () => {
  it("lists every member with their role, to any role", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const res = await call("GET", members, { key: viewer.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json.members).toHaveLength(2);
    expect(res.json.members).toEqual(
      expect.arrayContaining([
        {
          uid: t.userId,
          type: "user",
          email: t.email,
          display_name: expect.any(String),
          role: "owner",
          joined_at: expect.any(String),
        },
        {
          uid: viewer.userId,
          type: "user",
          email: viewer.email,
          display_name: null,
          role: "viewer",
          joined_at: expect.any(String),
        },
      ]),
    );
  });

  it("shows only the caller's team", async () => {
    const a = await newTeam();
    const b = await newTeam();
    await memberKey(b.key, "member");
    const res = await call("GET", members, { key: a.key });
    expect(res.json.members.map((m: { uid: string }) => m.uid)).toEqual([a.userId]);
  });
});

describe("POST /api/v1/team/members", () => {
  it("lets an admin add a member (role defaults to member, email lower-cased)", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const address = email("New");
    const res = await call("POST", members, {
      key: admin.key,
      body: { email: address, display_name: "Newbie" },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      uid: expect.any(String),
      type: "user",
      email: address.toLowerCase(),
      display_name: "Newbie",
      role: "member",
      joined_at: expect.any(String),
    });
    const list = await call("GET", members, { key: t.key });
    expect(list.json.members).toHaveLength(3);
  });

  it.each(["member", "viewer"] as const)("refuses a %s with 403", async (role) => {
    const t = await newTeam();
    const weak = await memberKey(t.key, role);
    expectProblem(
      await call("POST", members, { key: weak.key, body: { email: email("x"), role: "viewer" } }),
      403,
      "not_authorized",
    );
    expect((await call("GET", members, { key: t.key })).json.members).toHaveLength(2);
  });

  it("does not let an admin grant owner, but lets an owner", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    expectProblem(
      await call("POST", members, { key: admin.key, body: { email: email("o"), role: "owner" } }),
      403,
      "not_authorized",
    );
    const added = await call("POST", members, {
      key: t.key,
      body: { email: email("o"), role: "owner" },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.json.role).toBe("owner");
  });

  it("answers 409 conflict, not to be retried, for an existing member", async () => {
    const t = await newTeam();
    const m = await memberKey(t.key, "member");
    const res = await call("POST", members, {
      key: t.key,
      body: { email: m.email.toUpperCase(), role: "admin" },
    });
    const problem = expectProblem(res, 409, "conflict");
    expect(problem.retryable).toBe(false);
    expect(res.headers.get("x-should-retry")).toBe("false");
    // the role was not changed by the refused call
    const list = await call("GET", members, { key: t.key });
    expect(list.json.members.find((x: { uid: string }) => x.uid === m.userId).role).toBe("member");
  });

  it("answers concurrent adds of the same new email with one 201 and 409s, never a 500", async () => {
    const t = await newTeam();
    const address = email("race");
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => call("POST", members, { key: t.key, body: { email: address } })),
    );
    expect(results.map((r) => r.status).sort(), results.map((r) => r.text).join("\n")).toEqual([
      201, 409, 409, 409,
    ]);
    expect((await call("GET", members, { key: t.key })).json.members).toHaveLength(2);
  });

  it("adds a user of another team as the same user", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const res = await call("POST", members, {
      key: b.key,
      body: { email: a.email, role: "viewer" },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.uid).toBe(a.userId);
    // their key of team A still acts in team A only
    expect((await call("GET", "/api/v1/team", { key: a.key })).json.uid).toBe(a.teamId);
  });

  it("refuses an invalid body with 400 naming the field", async () => {
    const t = await newTeam();
    const problem = expectProblem(
      await call("POST", members, { key: t.key, body: { email: "nope", role: "king" } }),
      400,
      "invalid_request",
    );
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["email", "role"]);
  });
});

describe("PATCH /api/v1/team/members/{uid}", () => {
  it("lets an admin change a member's role, and the member's key follows at once", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const m = await memberKey(t.key, "member");
    expect(
      (await call("POST", "/api/v1/agent/runs", { key: m.key, body: { prompt: "before" } })).status,
    ).toBe(200);

    const res = await call("PATCH", `${members}/${m.userId}`, {
      key: admin.key,
      body: { role: "viewer" },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ uid: m.userId, role: "viewer" });
    // the key was minted as member, but is capped by the member's current role
    expectProblem(
      await call("POST", "/api/v1/agent/runs", { key: m.key, body: { prompt: "after" } }),
      403,
      "not_authorized",
    );
    expect((await call("GET", "/api/v1/team", { key: m.key })).json.caller.role).toBe("viewer");
  });

  it.each(["member", "viewer"] as const)("refuses a %s with 403", async (role) => {
    const t = await newTeam();
    const weak = await memberKey(t.key, role);
    const other = await memberKey(t.key, "viewer");
    expectProblem(
      await call("PATCH", `${members}/${other.userId}`, {
        key: weak.key,
        body: { role: "viewer" },
      }),
      403,
      "not_authorized",
    );
  });

  it("does not let an admin grant owner or change an owner", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const m = await memberKey(t.key, "member");
    expectProblem(
      await call("PATCH", `${members}/${m.userId}`, { key: admin.key, body: { role: "owner" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("PATCH", `${members}/${t.userId}`, { key: admin.key, body: { role: "viewer" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("PATCH", `${members}/${admin.userId}`, {
        key: admin.key,
        body: { role: "owner" },
      }),
      403,
      "not_authorized",
    );
    const list = await call("GET", members, { key: t.key });
    expect(list.json.members.map((x: { role: string }) => x.role).sort()).toEqual([
      "admin",
      "member",
      "owner",
    ]);
  });

  it("refuses to demote the last owner (400), but allows it once there is another", async () => {
    const t = await newTeam();
    expectProblem(
      await call("PATCH", `${members}/${t.userId}`, { key: t.key, body: { role: "admin" } }),
      400,
      "invalid_request",
    );
    const second = await memberKey(t.key, "owner");
    const res = await call("PATCH", `${members}/${t.userId}`, {
      key: second.key,
      body: { role: "admin" },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.role).toBe("admin");
  });

  it("answers 404 for another team's member and for an unknown uid", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const bMember = await memberKey(b.key, "member");
    expectProblem(
      await call("PATCH", `${members}/${bMember.userId}`, { key: a.key, body: { role: "viewer" } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("PATCH", `${members}/${b.userId}`, { key: a.key, body: { role: "viewer" } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("PATCH", `${members}/nobody`, { key: a.key, body: { role: "viewer" } }),
      404,
      "resource_not_found",
    );
    expect(
      (await call("GET", members, { key: b.key })).json.members.find(
        (x: { uid: string }) => x.uid === bMember.userId,
      ).role,
    ).toBe("member");
  });
});

describe("DELETE /api/v1/team/members/{uid}", () => {
  it("lets an admin remove a member, whose keys answer 401 from the next request on", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const m = await memberKey(t.key, "member");
    expect((await call("GET", "/api/v1/team", { key: m.key })).status).toBe(200);

    const res = await call("DELETE", `${members}/${m.userId}`, { key: admin.key });
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe("");
    expectProblem(
      await call("GET", "/api/v1/team", { key: m.key }),
      401,
      "authentication_required",
    );
    expect((await call("GET", members, { key: t.key })).json.members).toHaveLength(2);

    // re-adding the user does not bring the old keys back
    expect((await call("POST", members, { key: t.key, body: { email: m.email } })).status).toBe(
      201,
    );
    expectProblem(
      await call("GET", "/api/v1/team", { key: m.key }),
      401,
      "authentication_required",
    );
  });

  it.each(["member", "viewer"] as const)(
    "refuses a %s removing someone else with 403",
    async (role) => {
      const t = await newTeam();
      const weak = await memberKey(t.key, role);
      const other = await memberKey(t.key, "viewer");
      expectProblem(
        await call("DELETE", `${members}/${other.userId}`, { key: weak.key }),
        403,
        "not_authorized",
      );
      expect((await call("GET", "/api/v1/team", { key: other.key })).status).toBe(200);
    },
  );

  it("lets anyone leave the team themselves", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    expect((await call("DELETE", `${members}/${viewer.userId}`, { key: viewer.key })).status).toBe(
      204,
    );
    expectProblem(
      await call("GET", "/api/v1/team", { key: viewer.key }),
      401,
      "authentication_required",
    );
  });

  it("does not let an admin remove an owner, but lets another owner", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const second = await memberKey(t.key, "owner");
    expectProblem(
      await call("DELETE", `${members}/${second.userId}`, { key: admin.key }),
      403,
      "not_authorized",
    );
    expect((await call("DELETE", `${members}/${second.userId}`, { key: t.key })).status).toBe(204);
  });

  it("refuses to let the last owner leave (400), but allows it once there is another", async () => {
    const t = await newTeam();
    const problem = expectProblem(
      await call("DELETE", `${members}/${t.userId}`, { key: t.key }),
      400,
      "invalid_request",
    );
    expect(problem.detail).toMatch(/last owner/);
    expect((await call("GET", "/api/v1/team", { key: t.key })).status).toBe(200);
    await memberKey(t.key, "owner");
    expect((await call("DELETE", `${members}/${t.userId}`, { key: t.key })).status).toBe(204);
    expectProblem(
      await call("GET", "/api/v1/team", { key: t.key }),
      401,
      "authentication_required",
    );
  });

  it("answers 404 for another team's member, and leaves them be", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const bMember = await memberKey(b.key, "member");
    expectProblem(
      await call("DELETE", `${members}/${bMember.userId}`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${members}/${b.userId}`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expect((await call("GET", "/api/v1/team", { key: bMember.key })).status).toBe(200);
  });
});
