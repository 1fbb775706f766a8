import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";

const keys = "/api/v1/api-keys";

async function createKey(key: string, body: Record<string, unknown>) {
  const res = await call("POST", keys, { key, body });
  expect(res.status, res.text).toBe(201);
  return res.json as Json;
}

describe("POST /api/v1/api-keys", () => {
  it("creates a key, shows its secret once, and the key works", async () => {
    const t = await newTeam();
    const res = await call("POST", keys, { key: t.key, body: { name: "ci" } });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({
      uid: expect.any(String),
      name: "ci",
      prefix: expect.stringMatching(/^ambit_\w{6}$/),
      role: "owner",
      principal: { type: "user", uid: t.userId },
      scopes: ["runs:read", "runs:write", "config:read", "config:write", "hosts:connect", "admin"],
      pools: null,
      agent_uid: null,
      personal_access: true,
      created_at: expect.any(String),
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
      key: expect.stringMatching(/^ambit_\w{40}$/),
    });
    expect(res.json.key.startsWith(res.json.prefix)).toBe(true);
    expect((await call("GET", "/api/v1/team", { key: res.json.key })).json.caller).toEqual({
      uid: t.userId,
      type: "user",
      role: "owner",
    });
  });

  it("takes a lower role, and the key acts with it", async () => {
    const t = await newTeam();
    const created = await createKey(t.key, { name: "read-only", role: "viewer" });
    expect(created.role).toBe("viewer");
    expectProblem(
      await call("POST", "/api/v1/agent/runs", { key: created.key, body: { prompt: "x" } }),
      403,
      "not_authorized",
    );
    expect((await call("GET", "/api/v1/agent/runs", { key: created.key })).status).toBe(200);
  });

  it("refuses a role above the caller's with 403", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    expectProblem(
      await call("POST", keys, { key: admin.key, body: { name: "up", role: "owner" } }),
      403,
      "not_authorized",
    );
    // an admin key minted with role member cannot mint admin keys either
    const weak = await createKey(admin.key, { name: "member-level", role: "member" });
    expectProblem(
      await call("POST", keys, { key: weak.key, body: { name: "up", role: "admin" } }),
      403,
      "not_authorized",
    );
  });

  it("mints a key for another member, capped by that member's role", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const viewerUid = viewer.userId;
    expectProblem(
      await call("POST", keys, {
        key: t.key,
        body: { name: "too much", user_uid: viewerUid, role: "member" },
      }),
      403,
      "not_authorized",
    );
    const minted = await createKey(t.key, { name: "for viewer", user_uid: viewerUid });
    expect(minted.role).toBe("viewer");
    expect(minted.principal).toEqual({ type: "user", uid: viewerUid });
    expect((await call("GET", "/api/v1/team", { key: minted.key })).json.caller).toEqual({
      uid: viewerUid,
      type: "user",
      role: "viewer",
    });
  });

  it("answers 404 when user_uid is not a member of the team", async () => {
    const a = await newTeam();
    const b = await newTeam();
    expectProblem(
      await call("POST", keys, { key: a.key, body: { name: "x", user_uid: b.userId } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("POST", keys, { key: a.key, body: { name: "x", user_uid: "nobody" } }),
      404,
      "resource_not_found",
    );
  });

  it.each(["member", "viewer"] as const)(
    "lets a %s mint keys for themselves only (403 for another member)",
    async (role) => {
      const t = await newTeam();
      const weak = await memberKey(t.key, role);
      const other = await memberKey(t.key, "viewer");
      expectProblem(
        await call("POST", keys, {
          key: weak.key,
          body: { name: "theirs", user_uid: other.userId },
        }),
        403,
        "not_authorized",
      );
      const mine = await createKey(weak.key, { name: "mine" });
      expect(mine).toMatchObject({ role, principal: { uid: weak.userId }, personal_access: true });
    },
  );

  it("a key minted for another member is delegated; its holder takes their personal key with it once", async () => {
    const t = await newTeam();
    const added = (
      await call("POST", "/api/v1/team/members", {
        key: t.key,
        body: { email: `m-${crypto.randomUUID()}@example.com`, role: "member" },
      })
    ).json;
    const delegated = await createKey(t.key, { name: "handoff", user_uid: added.uid });
    expect(delegated.personal_access).toBe(false);
    const own = await createKey(delegated.key, { name: "mine" });
    expect(own).toMatchObject({ personal_access: true, principal: { uid: added.uid } });
    // a second handed-over key cannot take it again (whoever took it first holds the member's personal access)
    const again = await createKey(t.key, { name: "handoff 2", user_uid: added.uid });
    expect(
      expectProblem(
        await call("POST", keys, { key: again.key, body: { name: "mine too" } }),
        403,
        "not_authorized",
      ).detail,
    ).toMatch(/already taken/);
    // the personal key mints more personal keys
    expect((await createKey(own.key, { name: "laptop" })).personal_access).toBe(true);
  });

  it("of two handed-over keys racing to take the member's personal key, exactly one wins", async () => {
    const t = await newTeam();
    const added = (
      await call("POST", "/api/v1/team/members", {
        key: t.key,
        body: { email: `m-${crypto.randomUUID()}@example.com`, role: "member" },
      })
    ).json;
    const [a, b] = await Promise.all([
      createKey(t.key, { name: "a", user_uid: added.uid }),
      createKey(t.key, { name: "b", user_uid: added.uid }),
    ]);
    const results = await Promise.all(
      [a, b].map((k) => call("POST", keys, { key: k.key, body: { name: "mine" } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 403]);
  });

  it("a key minted for yourself never outlives the key you call with", async () => {
    const t = await newTeam();
    const short = await createKey(t.key, { name: "a week", expires_in_days: 7 });
    const child = await createKey(short.key, { name: "forever?" });
    expect(child.expires_at).toBe(short.expires_at);
    const sooner = await createKey(short.key, { name: "a day", expires_in_days: 1 });
    expect(Date.parse(sooner.expires_at)).toBeLessThan(Date.parse(short.expires_at));
  });

  it("sets an expiry from expires_in_days or expires_at, and refuses one in the past", async () => {
    const t = await newTeam();
    const before = Date.now();
    const days = await createKey(t.key, { name: "week", expires_in_days: 7 });
    const expiresIn = Date.parse(days.expires_at) - before;
    expect(expiresIn).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(expiresIn).toBeLessThan(7 * 86_400_000 + 60_000);
    const at = await createKey(t.key, { name: "fixed", expires_at: "2099-01-01T00:00:00Z" });
    expect(at.expires_at).toBe("2099-01-01T00:00:00.000Z");

    const past = expectProblem(
      await call("POST", keys, {
        key: t.key,
        body: { name: "old", expires_at: "2001-01-01T00:00:00Z" },
      }),
      400,
      "invalid_request",
    );
    expect(past.errors[0].path).toBe("expires_at");
    const both = await call("POST", keys, {
      key: t.key,
      body: { name: "both", expires_at: "2099-01-01T00:00:00Z", expires_in_days: 1 },
    });
    expect(expectProblem(both, 400, "invalid_request").errors[0].path).toBe("expires_in_days");
  });
});

describe("GET /api/v1/api-keys", () => {
  it("lists the team's keys with their prefix, never their secret", async () => {
    const t = await newTeam();
    const created = await createKey(t.key, { name: "listed" });
    const res = await call("GET", keys, { key: t.key });
    expect(res.status, res.text).toBe(200);
    expect(res.json.api_keys).toHaveLength(2);
    const listed = res.json.api_keys.find((k: { uid: string }) => k.uid === created.uid);
    expect(listed).toMatchObject({ name: "listed", prefix: created.prefix, role: "owner" });
    expect(listed).not.toHaveProperty("key");
    expect(res.text).not.toContain(created.key);
    expect(res.text).not.toContain(t.key);
  });

  it("shows only the caller's team's keys", async () => {
    const a = await newTeam();
    const b = await newTeam();
    await createKey(b.key, { name: "b-only" });
    const res = await call("GET", keys, { key: a.key });
    expect(res.json.api_keys.map((k: { name: string }) => k.name)).not.toContain("b-only");
    expect(res.json.api_keys).toHaveLength(1);
  });

  it.each(["member", "viewer"] as const)("refuses a %s with 403", async (role) => {
    const t = await newTeam();
    const weak = await memberKey(t.key, role);
    expectProblem(await call("GET", keys, { key: weak.key }), 403, "not_authorized");
  });

  it("records when a key was last used", async () => {
    const t = await newTeam();
    const created = await createKey(t.key, { name: "used" });
    const lastUsed = async () =>
      (await call("GET", keys, { key: t.key })).json.api_keys.find(
        (k: { uid: string }) => k.uid === created.uid,
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    expect((await call("GET", "/api/v1/team", { key: created.key })).status).toBe(200);
    // written after the response (waitUntil): give it a moment
    let seen: string | null = null;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = await lastUsed();
      if (!seen) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe("DELETE /api/v1/api-keys/{uid}", () => {
  it("revokes a key: it answers 401 from then on and shows revoked_at", async () => {
    const t = await newTeam();
    const created = await createKey(t.key, { name: "doomed" });
    expect((await call("GET", "/api/v1/team", { key: created.key })).status).toBe(200);
    const res = await call("DELETE", `${keys}/${created.uid}`, { key: t.key });
    expect(res.status, res.text).toBe(204);
    const problem = expectProblem(
      await call("GET", "/api/v1/team", { key: created.key }),
      401,
      "authentication_required",
    );
    expect(problem.detail).toMatch(/revoked/);
    const listed = (await call("GET", keys, { key: t.key })).json.api_keys.find(
      (k: { uid: string }) => k.uid === created.uid,
    );
    expect(listed.revoked_at).toMatch(/^\d{4}-/);
    // revoking again changes nothing
    expect((await call("DELETE", `${keys}/${created.uid}`, { key: t.key })).status).toBe(204);
  });

  it.each(["member", "viewer"] as const)("refuses a %s with 403", async (role) => {
    const t = await newTeam();
    const weak = await memberKey(t.key, role);
    const target = await createKey(t.key, { name: "target" });
    expectProblem(
      await call("DELETE", `${keys}/${target.uid}`, { key: weak.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", "/api/v1/team", { key: target.key })).status).toBe(200);
  });

  it("answers 404 for another team's key and leaves it working", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const bKey = await createKey(b.key, { name: "b" });
    expectProblem(
      await call("DELETE", `${keys}/${bKey.uid}`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${keys}/no-such-key`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expect((await call("GET", "/api/v1/team", { key: bKey.key })).status).toBe(200);
  });
});

describe("Authorization", () => {
  it("answers 401 for an expired key", async () => {
    const t = await newTeam();
    const created = await createKey(t.key, { name: "short", expires_in_days: 1 });
    expect((await call("GET", "/api/v1/team", { key: created.key })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, created.uid)
      .run();
    const problem = expectProblem(
      await call("GET", "/api/v1/team", { key: created.key }),
      401,
      "authentication_required",
    );
    expect(problem.detail).toMatch(/expired/);
  });

  it.each([
    ["missing", undefined],
    ["not a bearer", "Basic dXNlcjpwYXNz"],
    ["empty bearer", "Bearer "],
    ["two tokens", "Bearer ambit_aaaaaaaaaa ambit_bbbbbbbbbb"],
    ["no ambit_ prefix", "Bearer sk_live_0123456789"],
    ["unknown key", "Bearer ambit_0000000000000000000000000000000000000000"],
  ])("answers 401 authentication_required for a %s Authorization header", async (_, header) => {
    await newTeam();
    const res = await call("GET", "/api/v1/team", {
      headers: header === undefined ? {} : { authorization: header },
    });
    const problem = expectProblem(res, 401, "authentication_required");
    expect(problem.detail).toMatch(/Authorization: Bearer/);
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  it("accepts the scheme in any case", async () => {
    const t = await newTeam();
    expect(
      (await call("GET", "/api/v1/team", { headers: { authorization: `bearer ${t.key}` } })).status,
    ).toBe(200);
  });
});
