import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { insertRunRow } from "../helpers/runs.ts";

const ENVS = "/api/v1/agent/environments";
const body = {
  name: "web",
  description: "The web app",
  docker_image: "node:22",
  repositories: [{ url: "https://gitlab.com/acme/web.git", ref: "main" }],
  github_repos: [{ owner: "acme", repo: "api" }],
  setup_commands: ["npm ci", "npm run build"],
  env_vars: { NODE_ENV: "test" },
  secrets: [{ name: "GITHUB_TOKEN" }],
  worker_host: "build-box",
};

describe("environments", () => {
  it("create, get, list (Oz shape), replace, delete", async () => {
    const t = await newTeam("envs");
    const created = await call("POST", ENVS, { key: t.key, body });
    expect(created.status, created.text).toBe(201);
    const uid = created.json.uid;
    expect(uid).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(created.json).toEqual({
      uid,
      config: {
        name: "web",
        description: "The web app",
        docker_image: "node:22",
        github_repos: [{ owner: "acme", repo: "api" }],
        repositories: [
          { url: "https://gitlab.com/acme/web.git", ref: "main" },
          { url: "acme/api" },
        ],
        setup_commands: ["npm ci", "npm run build"],
        env_vars: { NODE_ENV: "test" },
        secrets: [{ name: "GITHUB_TOKEN" }],
        worker_host: "build-box",
      },
      last_updated: expect.any(String),
      setup_failed: false,
      last_task_run_timestamp: null,
      scope: { type: "Team", uid: t.teamId },
      creator: { type: "user", uid: t.userId },
      last_editor: { type: "user", uid: t.userId },
    });
    expect((await call("GET", `${ENVS}/${uid}`, { key: t.key })).json).toEqual(created.json);
    expect((await call("GET", ENVS, { key: t.key })).json).toEqual({
      environments: [created.json],
    });

    const member = await memberKey(t.key, "member");
    const replaced = await call("PUT", `${ENVS}/${uid}`, {
      key: member.key,
      body: { name: "web2", setup_commands: ["make"] },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json.config).toEqual({
      name: "web2",
      description: null,
      docker_image: null,
      github_repos: [],
      repositories: [],
      setup_commands: ["make"],
      env_vars: {},
      secrets: [],
      worker_host: null,
    });
    expect(replaced.json.last_editor).toEqual({ type: "user", uid: member.userId });
    // no stale read after the write (the list is served from the KV cache)
    expect((await call("GET", ENVS, { key: t.key })).json.environments[0].config.name).toBe("web2");

    expect((await call("DELETE", `${ENVS}/${uid}`, { key: t.key })).status).toBe(204);
    expect((await call("GET", ENVS, { key: t.key })).json.environments).toEqual([]);
    expectProblem(await call("GET", `${ENVS}/${uid}`, { key: t.key }), 404, "resource_not_found");
  });

  it("sorts by name or last update", async () => {
    const t = await newTeam("envs");
    for (const name of ["b", "a", "c"]) {
      await call("POST", ENVS, { key: t.key, body: { name } });
      await new Promise((r) => setTimeout(r, 3)); // distinct update times
    }
    const names = async (q: string) =>
      (await call("GET", `${ENVS}${q}`, { key: t.key })).json.environments.map(
        (e: any) => e.config.name,
      );
    expect(await names("?sort_by=name")).toEqual(["a", "b", "c"]);
    expect(await names("")).toEqual(["c", "a", "b"]);
    expectProblem(
      await call("GET", `${ENVS}?sort_by=size`, { key: t.key }),
      400,
      "invalid_request",
    );
  });

  it("validates: name required, description at most 240, secret names unique and valid", async () => {
    const t = await newTeam("envs");
    const path = async (b: unknown) =>
      expectProblem(await call("POST", ENVS, { key: t.key, body: b }), 400, "invalid_request")
        .errors[0].path;
    expect(await path({})).toBe("name");
    expect(await path({ name: "x", description: "d".repeat(241) })).toBe("description");
    expect(await path({ name: "x", secrets: [{ name: "A" }, { name: "A" }] })).toBe("secrets");
    expect(await path({ name: "x", secrets: [{ name: "no-dash" }] })).toBe("secrets.0.name");
    expect(await path({ name: "x", env_vars: { "BAD NAME": "v" } })).toBe("env_vars.BAD NAME");
  });

  it("viewers cannot write; another team's environment is not found", async () => {
    const t = await newTeam("envs");
    const other = await newTeam("envs");
    const viewer = await memberKey(t.key, "viewer");
    expectProblem(
      await call("POST", ENVS, { key: viewer.key, body: { name: "x" } }),
      403,
      "not_authorized",
    );
    const uid = (await call("POST", ENVS, { key: t.key, body: { name: "x" } })).json.uid;
    expectProblem(
      await call("PUT", `${ENVS}/${uid}`, { key: viewer.key, body: { name: "y" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("DELETE", `${ENVS}/${uid}`, { key: viewer.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", `${ENVS}/${uid}`, { key: viewer.key })).status).toBe(200);
    expectProblem(
      await call("GET", `${ENVS}/${uid}`, { key: other.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("PUT", `${ENVS}/${uid}`, { key: other.key, body: { name: "y" } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${ENVS}/${uid}`, { key: other.key }),
      404,
      "resource_not_found",
    );
    expect((await call("GET", ENVS, { key: other.key })).json.environments).toEqual([]);
  });

  it("shows the last run and setup_failed when it failed in setup", async () => {
    const t = await newTeam("envs");
    const uid = (await call("POST", ENVS, { key: t.key, body: { name: "x" } })).json.uid;
    await insertRunRow(t, { environment_id: uid, title: "older", created_at: Date.now() - 10_000 });
    const failed = await insertRunRow(t, {
      environment_id: uid,
      title: "newest",
      state: "FAILED",
      started_at: Date.now(),
      status_message: JSON.stringify({
        message: "npm ci failed",
        error_code: "environment_setup_failed",
      }),
    });
    const got = (await call("GET", `${ENVS}/${uid}`, { key: t.key })).json;
    expect(got.setup_failed).toBe(true);
    expect(got.last_task_created).toMatchObject({
      id: failed.id,
      title: "newest",
      state: "FAILED",
    });
    expect(got.last_task_run_timestamp).toBe(new Date(failed.started_at!).toISOString());
    // a personal run of someone else is not shown
    const member = await memberKey(t.key, "member");
    await insertRunRow(
      { teamId: t.teamId, userId: member.userId },
      { environment_id: uid, title: "private", scope: "User", created_at: Date.now() + 1000 },
    );
    expect(
      (await call("GET", ENVS, { key: t.key })).json.environments[0].last_task_created.title,
    ).toBe("newest");
    // one shared with the team is: the run list's rule (visibleTo)
    const shared = {
      environment_id: uid,
      title: "shared",
      scope: "User" as const,
      created_at: Date.now() + 2000,
      share_team: "VIEWER" as const,
    };
    await insertRunRow({ teamId: t.teamId, userId: member.userId }, shared);
    expect(
      (await call("GET", ENVS, { key: t.key })).json.environments[0].last_task_created.title,
    ).toBe("shared");
  });
});
