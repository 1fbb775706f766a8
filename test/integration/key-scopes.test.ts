import { describe, expect, it } from "vitest";
import { routeNeed } from "../../src/lib/route-scopes.ts";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { hostRequest, TestHost } from "../helpers/hosts.ts";

const KEYS = "/api/v1/api-keys";
const RUNS = "/api/v1/agent/runs";

async function mint(key: string, body: Json) {
  const res = await call("POST", KEYS, { key, body: { name: "k", ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json as Json;
}

const bodyFor = (method: string) => (method === "GET" ? {} : { body: {} });

async function openapiRoutes(): Promise<{ method: string; path: string; op: Json }[]> {
  const doc = (await call("GET", "/api/v1/openapi.json")).json as Json;
  return Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
    Object.entries(ops as Json)
      .filter(([m]) => ["get", "post", "put", "patch", "delete"].includes(m))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Json })),
  );
}

describe("the route → scope table", () => {
  it("covers every route of the OpenAPI document; public exactly where no key is asked", async () => {
    const routes = await openapiRoutes();
    expect(routes.length).toBeGreaterThan(90);
    const uncovered = routes.filter((r) => !routeNeed(r.method, r.path));
    expect(uncovered.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    for (const r of routes) {
      const keyless = !r.op.security?.some((s: Json) => "bearerAuth" in s);
      const need = routeNeed(r.method, r.path);
      expect(need === "public", `${r.method} ${r.path} needs ${need}`).toBe(keyless);
    }
  });

  it("a route outside the table is refused to a scoped key (fail closed)", async () => {
    expect(routeNeed("GET", "/not-a-route")).toBeUndefined();
  });
});

describe("API key scopes", () => {
  it("mints with everything the role allows by default, and lists the scopes", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    expect((await mint(t.key, {})).scopes).toEqual([
      "runs:read",
      "runs:write",
      "config:read",
      "config:write",
      "hosts:connect",
      "admin",
    ]);
    const own = await mint(member.key, {});
    expect(own.scopes).toEqual(["runs:read", "runs:write", "config:read", "config:write"]);
    expect(own.pools).toBeNull();
    expect(own.agent_uid).toBeNull();
  });

  it("a runs:read key reads runs and is refused 403 insufficient_scope outside its scope", async () => {
    const t = await newTeam();
    const reader = await mint(t.key, { scopes: ["runs:read"] });
    expect((await call("GET", RUNS, { key: reader.key })).status).toBe(200);
    const refused = expectProblem(
      await call("POST", RUNS, { key: reader.key, body: { prompt: "x" } }),
      403,
      "insufficient_scope",
    );
    expect(refused.required_scope).toBe("runs:write");
    expect(refused.detail).toMatch(/'runs:write' scope/);
    for (const [method, path, scope] of [
      ["GET", "/api/v1/agent/secrets", "config:read"],
      ["POST", "/api/v1/agent/schedules", "config:write"],
      ["GET", KEYS, "admin"],
      ["POST", "/api/v1/team/members", "admin"],
    ] as const) {
      const res = await call(method, path, { key: reader.key, ...bodyFor(method) });
      expect(expectProblem(res, 403, "insufficient_scope").required_scope).toBe(scope);
    }
    // its own account stays reachable
    expect((await call("GET", "/api/v1/me", { key: reader.key })).status).toBe(200);
  });

  it("a runs:read key attaches as a viewer, never as an editor", async () => {
    const t = await newTeam();
    const run = await call("POST", RUNS, { key: t.key, body: { prompt: "x" } });
    const reader = await mint(t.key, { scopes: ["runs:read"] });
    const token = await call("POST", `${RUNS}/${run.json.run_id}/session-token`, {
      key: reader.key,
    });
    expect(token.status, token.text).toBe(200);
    expect(token.json.access).toBe("VIEWER");
    const full = await call("POST", `${RUNS}/${run.json.run_id}/session-token`, { key: t.key });
    expect(full.json.access).toBe("EDITOR");
  });

  it("a key never exceeds its owner's role: at mint", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    for (const scope of ["admin", "hosts:connect"]) {
      const res = await call("POST", KEYS, {
        key: member.key,
        body: { name: "up", scopes: ["runs:read", scope] },
      });
      expect(expectProblem(res, 403, "not_authorized").detail).toContain(scope);
    }
    // nor more than the key that mints it
    const reader = await mint(t.key, { scopes: ["runs:read"] });
    expectProblem(
      await call("POST", KEYS, { key: reader.key, body: { name: "w", scopes: ["runs:write"] } }),
      403,
      "insufficient_scope",
    );
    expect((await mint(reader.key, {})).scopes).toEqual(["runs:read"]);
  });

  it("a key never exceeds its owner's role: after demotion its scopes shrink", async () => {
    const t = await newTeam();
    const admin = await memberKey(t.key, "admin");
    const keyOfAdmin = await mint(admin.key, { scopes: ["admin", "runs:read"] });
    expect((await call("GET", KEYS, { key: keyOfAdmin.key })).status).toBe(200);
    const demoted = await call("PATCH", `/api/v1/team/members/${admin.userId}`, {
      key: t.key,
      body: { role: "member" },
    });
    expect(demoted.status, demoted.text).toBe(200);
    expectProblem(await call("GET", KEYS, { key: keyOfAdmin.key }), 403, "insufficient_scope");
    expect((await call("GET", RUNS, { key: keyOfAdmin.key })).status).toBe(200);
    const listed = (await call("GET", KEYS, { key: t.key })).json.api_keys as Json[];
    // the listing shows what the key was minted with, within its own role
    expect(listed.find((k) => k.uid === keyOfAdmin.uid)!.scopes).toEqual(["runs:read", "admin"]);
  });

  it("a scoped key may not open a console session (it acts with the role's full power)", async () => {
    const t = await newTeam();
    const reader = await mint(t.key, { scopes: ["runs:read"] });
    const res = await call("POST", "/auth/sign-in", {
      body: { api_key: reader.key },
      headers: { origin: "http://ambit.test" },
    });
    expectProblem(res, 403, "insufficient_scope");
  });
});

describe("host keys (hosts:connect for named pools)", () => {
  it("connects to its pools only, and cannot call any other API route", async () => {
    const t = await newTeam();
    const hostKey = await mint(t.key, { scopes: ["hosts:connect"], pools: ["build"] });
    expect(hostKey.pools).toEqual(["build"]);
    const host = await TestHost.connect(hostKey.key, "build");
    host.close();
    const other = await hostRequest("gpu", hostKey.key);
    expect(other.status).toBe(403);
    expect(((await other.json()) as Json).error_code).toBe("insufficient_scope");
    // every other route of the API refuses it (public routes take no key, so it does not apply)
    for (const r of await openapiRoutes()) {
      const need = routeNeed(r.method, r.path);
      if (need === "public" || need === "hosts:connect") continue;
      const path = `/api/v1${r.path.replace(/\{[^}]+\}/g, "x")}`;
      const res = await call(r.method, path, { key: hostKey.key, ...bodyFor(r.method) });
      expect(
        { route: `${r.method} ${r.path}`, status: res.status, code: res.json?.error_code },
        res.text.slice(0, 200),
      ).toEqual({ route: `${r.method} ${r.path}`, status: 403, code: "insufficient_scope" });
    }
  });

  it("pools go with hosts:connect alone", async () => {
    const t = await newTeam();
    const res = await call("POST", KEYS, {
      key: t.key,
      body: { name: "h", scopes: ["hosts:connect", "runs:read"], pools: ["build"] },
    });
    expectProblem(res, 400, "invalid_request");
  });
});
