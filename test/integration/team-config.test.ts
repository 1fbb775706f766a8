import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";

const A = "/api/v1/agent";

// One table drives CRUD, validation, roles and cross-team checks of the uid-named collections.
const COLLECTIONS = [
  {
    path: "/mcp-servers",
    listKey: "mcp_servers",
    writer: "admin" as const,
    body: {
      name: "github",
      description: "GitHub tools",
      config: { command: "npx", args: ["gh-mcp"], env: { GH: "${GITHUB_TOKEN}" } },
    },
    replacement: {
      name: "github",
      config: {
        url: "https://mcp.example.com/mcp",
        headers: { authorization: "Bearer ${GITHUB_TOKEN}" },
      },
    },
    invalid: [
      [{ name: "x", config: {} }, "config"],
      [{ name: "x", config: { command: "a", url: "https://b.example" } }, "config"],
      [{ name: "x", config: { url: "https://b.example", env: { A: "1" } } }, "config.env"],
    ] as const,
  },
  {
    path: "/rules",
    listKey: "rules",
    writer: "admin" as const,
    body: { name: "tests", content: "Always run the tests." },
    replacement: { name: "tests", content: "Run the tests twice.", enabled: false },
    invalid: [
      [{ name: "x" }, "content"],
      [{ content: "c" }, "name"],
    ] as const,
  },
  {
    path: "/prompts",
    listKey: "prompts",
    writer: "member" as const,
    body: { name: "triage", prompt: "Triage the newest issue." },
    replacement: { name: "triage", prompt: "Triage the oldest issue.", description: "for Mondays" },
    invalid: [
      [{ name: "x" }, "prompt"],
      [{ name: "a/b", prompt: "p" }, "name"],
    ] as const,
  },
];

describe.each(COLLECTIONS)("$path", (c) => {
  it("create, get, list, replace, delete", async () => {
    const t = await newTeam("cfg");
    const created = await call("POST", `${A}${c.path}`, { key: t.key, body: c.body });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      ...c.body,
      uid: expect.stringMatching(/^[A-Za-z0-9]{22}$/),
      created_at: expect.any(String),
    });
    const uid = created.json.uid;
    expect((await call("GET", `${A}${c.path}/${uid}`, { key: t.key })).json).toEqual(created.json);
    expect((await call("GET", `${A}${c.path}`, { key: t.key })).json).toEqual({
      [c.listKey]: [created.json],
    });
    const replaced = await call("PUT", `${A}${c.path}/${uid}`, { key: t.key, body: c.replacement });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json).toMatchObject(c.replacement);
    expect((await call("GET", `${A}${c.path}`, { key: t.key })).json[c.listKey][0]).toMatchObject(
      c.replacement,
    );
    expect((await call("DELETE", `${A}${c.path}/${uid}`, { key: t.key })).status).toBe(204);
    expect((await call("GET", `${A}${c.path}`, { key: t.key })).json[c.listKey]).toEqual([]);
    expectProblem(
      await call("GET", `${A}${c.path}/${uid}`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("validates, and names are unique in the team", async () => {
    const t = await newTeam("cfg");
    for (const [body, path] of c.invalid) {
      const problem = expectProblem(
        await call("POST", `${A}${c.path}`, { key: t.key, body }),
        400,
        "invalid_request",
      );
      expect(problem.errors.map((e: any) => e.path)).toContain(path);
    }
    await call("POST", `${A}${c.path}`, { key: t.key, body: c.body });
    expectProblem(
      await call("POST", `${A}${c.path}`, { key: t.key, body: c.body }),
      409,
      "conflict",
    );
    const other = (
      await call("POST", `${A}${c.path}`, { key: t.key, body: { ...c.body, name: "other" } })
    ).json.uid;
    expectProblem(
      await call("PUT", `${A}${c.path}/${other}`, { key: t.key, body: c.body }),
      409,
      "conflict",
    );
  });

  it(`writes need ${c.writer}; another team's items are not found`, async () => {
    const t = await newTeam("cfg");
    const weak = await memberKey(t.key, c.writer === "admin" ? "member" : "viewer");
    const other = await newTeam("cfg");
    expectProblem(
      await call("POST", `${A}${c.path}`, { key: weak.key, body: c.body }),
      403,
      "not_authorized",
    );
    const uid = (await call("POST", `${A}${c.path}`, { key: t.key, body: c.body })).json.uid;
    expectProblem(
      await call("PUT", `${A}${c.path}/${uid}`, { key: weak.key, body: c.replacement }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("DELETE", `${A}${c.path}/${uid}`, { key: weak.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", `${A}${c.path}/${uid}`, { key: weak.key })).status).toBe(200);
    expect((await call("GET", `${A}${c.path}`, { key: other.key })).json[c.listKey]).toEqual([]);
    expectProblem(
      await call("GET", `${A}${c.path}/${uid}`, { key: other.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("PUT", `${A}${c.path}/${uid}`, { key: other.key, body: c.replacement }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${A}${c.path}/${uid}`, { key: other.key }),
      404,
      "resource_not_found",
    );
  });
});

describe("/env-vars", () => {
  it("put creates (201) then replaces (200); list; delete; names are validated", async () => {
    const t = await newTeam("cfg");
    const created = await call("PUT", `${A}/env-vars/LOG_LEVEL`, {
      key: t.key,
      body: { value: "debug", description: "verbosity" },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      name: "LOG_LEVEL",
      value: "debug",
      description: "verbosity",
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const replaced = await call("PUT", `${A}/env-vars/LOG_LEVEL`, {
      key: t.key,
      body: { value: "info" },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      value: "info",
      description: null,
      created_at: created.json.created_at,
    });
    expect(
      (await call("GET", `${A}/env-vars`, { key: t.key })).json.env_vars.map(
        (v: any) => `${v.name}=${v.value}`,
      ),
    ).toEqual(["LOG_LEVEL=info"]);
    expectProblem(
      await call("PUT", `${A}/env-vars/1BAD`, { key: t.key, body: { value: "x" } }),
      400,
      "invalid_request",
    );
    expectProblem(
      await call("PUT", `${A}/env-vars/OK`, { key: t.key, body: {} }),
      400,
      "invalid_request",
    );
    expect((await call("DELETE", `${A}/env-vars/LOG_LEVEL`, { key: t.key })).status).toBe(204);
    expectProblem(
      await call("DELETE", `${A}/env-vars/LOG_LEVEL`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("writes need admin; teams do not see each other's variables", async () => {
    const t = await newTeam("cfg");
    const member = await memberKey(t.key, "member");
    const other = await newTeam("cfg");
    expectProblem(
      await call("PUT", `${A}/env-vars/A`, { key: member.key, body: { value: "1" } }),
      403,
      "not_authorized",
    );
    await call("PUT", `${A}/env-vars/A`, { key: t.key, body: { value: "1" } });
    expectProblem(
      await call("DELETE", `${A}/env-vars/A`, { key: member.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", `${A}/env-vars`, { key: member.key })).json.env_vars).toHaveLength(1);
    expect((await call("GET", `${A}/env-vars`, { key: other.key })).json.env_vars).toEqual([]);
    expectProblem(
      await call("DELETE", `${A}/env-vars/A`, { key: other.key }),
      404,
      "resource_not_found",
    );
  });
});
