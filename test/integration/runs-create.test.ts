import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { UUID_RE } from "../../src/lib/ids.ts";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { asConsole, signIn } from "../helpers/web-sessions.ts";
import { createRun, idsOf, listRuns, RUNS, runRow, untilDispatched } from "../helpers/runs.ts";

const LEGACY = "/api/v1/agent/run";
const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const paths = (problem: Json) =>
  (problem.errors ?? []).map((e: { path: string }) => e.path) as string[];

async function getRun(key: string, id: string) {
  const res = await call("GET", `${RUNS}/${id}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json as Json;
}

describe("POST /agent/runs and legacy POST /agent/run", () => {
  it.each([RUNS, LEGACY])(
    "%s answers {run_id, task_id == run_id, state: QUEUED} with a UUIDv7 id",
    async (path) => {
      const t = await newTeam();
      const before = Date.now();
      const res = await call("POST", path, { key: t.key, body: { prompt: "Fix the flaky test" } });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({
        run_id: expect.any(String),
        task_id: res.json.run_id,
        state: "QUEUED",
      });
      expect(res.json.run_id).toMatch(UUIDV7_RE);
      // the first 48 bits are the creation time in milliseconds
      const ms = Number.parseInt(res.json.run_id.replace(/-/g, "").slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before - 1000);
      expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
      expect((await getRun(t.key, res.json.run_id)).state).toBe("QUEUED");
    },
  );

  it("gives every run its own id, sorting by creation", async () => {
    const t = await newTeam();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createRun(t.key, { prompt: `run ${i}` }));
    expect(new Set(ids).size).toBe(5);
    // time-ordered ids: creation order is id order up to millisecond ties
    const stamps = ids.map((id) => id.slice(0, 13));
    expect([...stamps].sort()).toEqual(stamps);
  });

  describe("title", () => {
    it.each([
      [
        "the first line of the prompt",
        "Fix the flaky test\nIt fails on CI about once a day",
        "Fix the flaky test",
      ],
      [
        "trimmed, skipping blank lines",
        "\n   \n   Upgrade   the   parser  \nthen the rest",
        "Upgrade the parser",
      ],
      [
        "cut at a word boundary when long",
        `${"word ".repeat(40)}end`,
        expect.stringMatching(/^(word ){10,}?word…$/),
      ],
    ])("is generated from %s", async (_, prompt, title) => {
      const t = await newTeam();
      const id = await createRun(t.key, { prompt });
      const run = await getRun(t.key, id);
      expect(run.title).toEqual(title);
      expect(run.title.length).toBeLessThanOrEqual(80);
      expect(run.prompt).toBe(prompt);
    });

    it("keeps an explicit title", async () => {
      const t = await newTeam();
      const id = await createRun(t.key, {
        prompt: "Fix the flaky test",
        title: "My explicit title",
      });
      expect((await getRun(t.key, id)).title).toBe("My explicit title");
    });

    it("falls back to the skill for a skill run without a prompt", async () => {
      const t = await newTeam();
      const id = await createRun(t.key, { skill: "acme/tools:skills/triage/SKILL.md" });
      const run = await getRun(t.key, id);
      expect(run.title).toBe("acme/tools:skills/triage/SKILL.md");
      expect(run.prompt).toBe("");
    });
  });

  describe("prompt or skill", () => {
    it.each([
      ["nothing", {}],
      ["an empty prompt", { prompt: "" }],
      ["a blank prompt", { prompt: "  \n\t " }],
      ["only a title", { title: "No prompt here" }],
    ])("refuses %s with 400 naming prompt, creating nothing", async (_, body) => {
      const t = await newTeam();
      const problem = expectProblem(
        await call("POST", RUNS, { key: t.key, body }),
        400,
        "invalid_request",
      );
      expect(paths(problem)).toContain("prompt");
      expect((await listRuns(t.key)).runs).toEqual([]);
    });

    it.each([
      ["skill", { skill: "acme/tools:SKILL.md" }, "acme/tools:SKILL.md"],
      [
        "config.skill_spec",
        { config: { skill_spec: "acme/tools:a/SKILL.md" } },
        "acme/tools:a/SKILL.md",
      ],
      [
        "config.skills (the first one counts)",
        { config: { skills: ["acme/tools:b/SKILL.md", "acme/tools:c/SKILL.md"] } },
        "acme/tools:b/SKILL.md",
      ],
    ])("accepts %s instead of a prompt", async (_, body, skillSpec) => {
      const t = await newTeam();
      const id = await createRun(t.key, body);
      const run = await getRun(t.key, id);
      expect(run.prompt).toBe("");
      expect(run.title).toBe(skillSpec);
      expect(idsOf(await listRuns(t.key, `skill=${encodeURIComponent(skillSpec)}`))).toEqual([id]);
      if (!("config" in body && "skills" in body.config!))
        expect(run.agent_config.skill_spec).toBe(skillSpec);
      else expect(run.agent_config.skills).toEqual(body.config.skills);
    });

    it("stores skill as agent_config.skill_spec, winning over config.skill_spec", async () => {
      const t = await newTeam();
      const id = await createRun(t.key, {
        prompt: "p",
        skill: "acme/tools:win/SKILL.md",
        config: { skill_spec: "acme/tools:lose/SKILL.md", name: "n" },
      });
      const run = await getRun(t.key, id);
      expect(run.agent_config).toEqual({ skill_spec: "acme/tools:win/SKILL.md", name: "n" });
      expect((await runRow(id))?.skill_spec).toBe("acme/tools:win/SKILL.md");
    });
  });

  it("stores config as given, unknown fields included, with its references resolved", async () => {
    const t = await newTeam();
    const env123 = (
      await call("POST", "/api/v1/agent/environments", {
        key: t.key,
        body: { name: "env123", docker_image: "node:22" },
      })
    ).json.uid;
    const linear = {
      url: "https://mcp.linear.app/mcp",
      headers: { authorization: "Bearer ${LINEAR_TOKEN}" },
    };
    const mcp = (
      await call("POST", "/api/v1/agent/mcp-servers", {
        key: t.key,
        body: { name: "linear", config: linear },
      })
    ).json.uid;
    const config = {
      name: "nightly",
      model_id: "claude-sonnet",
      environment_id: env123,
      base_prompt: "Be brief",
      computer_use_enabled: false,
      idle_timeout_minutes: 5,
      harness: { type: "claude", model_id: "opus", future_knob: 3 },
      mcp_servers: {
        linear: { warp_id: mcp },
        local: { command: "npx", args: ["-y", "server"], env: { TOKEN: "${TOKEN}" } },
        remote: { url: "https://mcp.example.com/mcp", headers: { authorization: "Bearer x" } },
      },
      some_future_field: { nested: [1, "two", { three: true }] },
    };
    const id = await createRun(t.key, { prompt: "p", config });
    const resolved = {
      ...config,
      mcp_servers: { ...config.mcp_servers, linear },
      environment: {
        uid: env123,
        name: "env123",
        docker_image: "node:22",
        repositories: [],
        setup_commands: [],
        env_vars: {},
      },
    };
    expect((await getRun(t.key, id)).agent_config).toEqual(resolved);
    const row = await runRow(id);
    expect(row).toMatchObject({
      config_name: "nightly",
      model_id: "claude-sonnet",
      environment_id: env123,
    });
    expect(JSON.parse(row!.agent_config!)).toEqual(resolved);
  });

  describe("MCP server config", () => {
    it.each([
      ["none of warp_id, command, url", { a: { args: [] } }, "config.mcp_servers.a"],
      [
        "warp_id and url",
        { a: { warp_id: "linear", url: "https://x.example.com" } },
        "config.mcp_servers.a",
      ],
      [
        "command and url",
        { b: { command: "npx", url: "https://x.example.com" } },
        "config.mcp_servers.b",
      ],
      [
        "env without command",
        { c: { url: "https://x.example.com", env: { A: "1" } } },
        "config.mcp_servers.c.env",
      ],
      [
        "headers without url",
        { d: { command: "npx", headers: { A: "1" } } },
        "config.mcp_servers.d.headers",
      ],
      ["a url that is not one", { e: { url: "not a url" } }, "config.mcp_servers.e.url"],
      ["an empty name", { "": { warp_id: "linear" } }, "config.mcp_servers"],
    ])("refuses %s with 400 naming the path", async (_, mcp_servers, path) => {
      const t = await newTeam();
      const problem = expectProblem(
        await call("POST", RUNS, { key: t.key, body: { prompt: "p", config: { mcp_servers } } }),
        400,
        "invalid_request",
      );
      expect(
        paths(problem).some((p) => p.startsWith(path)),
        JSON.stringify(problem.errors),
      ).toBe(true);
      expect((await listRuns(t.key)).runs).toEqual([]);
    });
  });

  describe("metadata", () => {
    it("is stored and returned", async () => {
      const t = await newTeam();
      const metadata = {
        ticket_id: "VIS-238",
        "a.b_c-D9": "",
        long: "x".repeat(256),
        utf8: "é".repeat(128),
      };
      const id = await createRun(t.key, { prompt: "p", metadata });
      expect((await getRun(t.key, id)).metadata).toEqual(metadata);
    });

    it("accepts 20 keys", async () => {
      const t = await newTeam();
      const metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`]));
      const id = await createRun(t.key, { prompt: "p", metadata });
      expect((await getRun(t.key, id)).metadata).toEqual(metadata);
    });

    it.each([
      ["21 keys", Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]))],
      ["a key with a space", { "bad key": "v" }],
      ["a key with a slash", { "a/b": "v" }],
      ["an empty key", { "": "v" }],
      ["a key over 64 characters", { ["k".repeat(65)]: "v" }],
      ["a value over 256 bytes", { k: "x".repeat(257) }],
      ["a value over 256 bytes in fewer characters", { k: "é".repeat(129) }],
      ["a value with NUL", { k: "a\u0000b" }],
      ["a value that is not a string", { k: 5 }],
    ])("refuses %s with 400 naming metadata", async (_, metadata) => {
      const t = await newTeam();
      const problem = expectProblem(
        await call("POST", RUNS, { key: t.key, body: { prompt: "p", metadata } }),
        400,
        "invalid_request",
      );
      expect(
        paths(problem).some((p) => p.startsWith("metadata")),
        JSON.stringify(problem.errors),
      ).toBe(true);
      expect((await listRuns(t.key)).runs).toEqual([]);
    });
  });

  describe("team: false (personal runs)", () => {
    it("is visible only to its creator", async () => {
      const t = await newTeam();
      const other = await memberKey(t.key, "member");
      const personal = await createRun(t.key, { prompt: "mine", team: false });
      const shared = await createRun(t.key, { prompt: "ours" });

      const run = await getRun(t.key, personal);
      expect(run.scope).toEqual({ type: "User", uid: t.userId });
      expect((await getRun(t.key, shared)).scope).toEqual({ type: "Team", uid: t.teamId });
      expect(idsOf(await listRuns(t.key))).toEqual(expect.arrayContaining([personal, shared]));

      expectProblem(
        await call("GET", `${RUNS}/${personal}`, { key: other.key }),
        404,
        "resource_not_found",
      );
      expectProblem(
        await call("GET", `/api/v1/agent/tasks/${personal}`, { key: other.key }),
        404,
        "resource_not_found",
      );
      expectProblem(
        await call("POST", `${RUNS}/${personal}/cancel`, { key: other.key }),
        404,
        "resource_not_found",
      );
      expect(idsOf(await listRuns(other.key))).toEqual([shared]);
      expect(idsOf(await listRuns(other.key, `creator=${t.userId}`))).toEqual([shared]);
      expect(idsOf(await listRuns(other.key, "q=mine"))).toEqual([]);
      expect(idsOf(await listRuns(other.key, "", "/api/v1/agent/tasks"))).toEqual([shared]);
      // the team's owner does not see a member's personal run either
      const theirs = await createRun(other.key, { prompt: "theirs", team: false });
      expect(idsOf(await listRuns(t.key))).not.toContain(theirs);
      expect(idsOf(await listRuns(other.key))).toContain(theirs);
    });
  });

  describe("parent_run_id", () => {
    it("links a child to a parent the caller can see", async () => {
      const t = await newTeam();
      const parent = await createRun(t.key, { prompt: "parent" });
      const child = await createRun(t.key, { prompt: "child", parent_run_id: parent });
      expect((await getRun(t.key, child)).parent_run_id).toBe(parent);
      expect((await getRun(t.key, parent)).parent_run_id).toBeUndefined();
    });

    it("refuses a parent that is unknown, in another team or someone else's personal run", async () => {
      const a = await newTeam();
      const b = await newTeam();
      const member = await memberKey(a.key, "member");
      const otherTeams = await createRun(b.key, { prompt: "b" });
      const personal = await createRun(member.key, { prompt: "personal", team: false });
      for (const parent of ["00000000-0000-7000-8000-000000000000", otherTeams, personal]) {
        const problem = expectProblem(
          await call("POST", RUNS, {
            key: a.key,
            body: { prompt: "child", parent_run_id: parent },
          }),
          400,
          "invalid_request",
        );
        expect(paths(problem)).toEqual(["parent_run_id"]);
      }
      expect((await listRuns(a.key)).runs).toEqual([]);
    });
  });

  it("answers on_behalf_of from a key that is not a named agent's with 403", async () => {
    const t = await newTeam();
    expectProblem(
      await call("POST", RUNS, {
        key: t.key,
        body: { prompt: "p", on_behalf_of: "someone@example.com" },
      }),
      403,
      "not_authorized",
    );
    expect((await listRuns(t.key)).runs).toEqual([]);
  });

  it("answers an unknown agent_identity_uid with 400 naming it", async () => {
    const t = await newTeam();
    const problem = expectProblem(
      await call("POST", RUNS, {
        key: t.key,
        body: { prompt: "p", agent_identity_uid: "0190f5a2-0000-7000-8000-000000000000" },
      }),
      400,
      "invalid_request",
    );
    expect(problem.errors).toEqual([
      {
        path: "agent_identity_uid",
        message: expect.stringContaining("'0190f5a2-0000-7000-8000-000000000000'"),
      },
    ]);
    expect((await listRuns(t.key)).runs).toEqual([]);
  });

  describe("source", () => {
    it.each([
      [undefined, "API"],
      ["CLI", "CLI"],
      ["cli", "CLI"],
      ["WEB_APP", "WEB_APP"],
      [" github_action ", "GITHUB_ACTION"],
    ])("X-Oz-Api-Source %s makes source %s", async (header, source) => {
      const t = await newTeam();
      const id = await createRun(
        t.key,
        { prompt: "p" },
        header ? { "x-oz-api-source": header } : undefined,
      );
      expect((await getRun(t.key, id)).source).toBe(source);
    });

    // a source the platform sets itself (schedules, Slack, webhooks) or a typo is refused, not
    // silently recorded as API: a client that means GITHUB_ACTION learns at once that it is not
    it.each(["SCHEDULED_AGENT", "SLACK", "GITHUB_WEBHOOK", "nonsense"])(
      "X-Oz-Api-Source %s is a 400 naming the header, and makes no run",
      async (header) => {
        const t = await newTeam();
        const res = await call("POST", RUNS, {
          key: t.key,
          body: { prompt: "p" },
          headers: { "x-oz-api-source": header },
        });
        const problem = await expectProblem(res, 400, "invalid_request");
        expect(problem.errors).toEqual([
          { path: "header.x-oz-api-source", message: expect.stringContaining("GITHUB_ACTION") },
        ]);
        expect((await listRuns(t.key)).runs).toEqual([]);
      },
    );

    it("a run created with the console's session cookie is WEB_APP; the same user's key makes API", async () => {
      const t = await newTeam();
      const session = await signIn(t.key);
      const res = await call("POST", RUNS, { body: { prompt: "p" }, headers: asConsole(session) });
      expect(res.status, res.text).toBe(200);
      expect((await getRun(t.key, res.json.run_id)).source).toBe("WEB_APP");
      // a claimed source still wins over the cookie's default
      const claimed = await call("POST", RUNS, {
        body: { prompt: "p" },
        headers: { ...asConsole(session), "x-oz-api-source": "CLI" },
      });
      expect((await getRun(t.key, claimed.json.run_id)).source).toBe("CLI");
      expect((await getRun(t.key, await createRun(t.key, { prompt: "p" }))).source).toBe("API");
    });
  });

  describe("attachments", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255]);
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7]);
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

    async function stored(runId: string) {
      const listed = await env.ARTIFACTS.list({
        prefix: `runs/${runId}/attachments/`,
        include: ["httpMetadata"],
      });
      return Promise.all(
        listed.objects.map(async (o) => {
          const obj = await env.ARTIFACTS.get(o.key);
          return {
            key: o.key,
            type: o.httpMetadata?.contentType,
            bytes: new Uint8Array(await obj!.arrayBuffer()),
          };
        }),
      );
    }

    it("land in R2 under the run, bytes and content type intact", async () => {
      const t = await newTeam();
      const id = await createRun(t.key, {
        prompt: "look at these",
        attachments: [
          { file_name: "screen.png", mime_type: "image/png", data: b64(png) },
          { file_name: "photo.jpg", mime_type: "image/jpeg", data: b64(jpeg) },
        ],
      });
      const objects = await stored(id);
      expect(objects).toHaveLength(2);
      const byName = Object.fromEntries(
        objects.map((o) => [o.key.split("/").at(-1)!.replace(/^\d+-/, ""), o]),
      );
      expect(byName["screen.png"]).toMatchObject({ type: "image/png", bytes: png });
      expect(byName["photo.jpg"]).toMatchObject({ type: "image/jpeg", bytes: jpeg });
    });

    it("accepts the legacy images field", async () => {
      const t = await newTeam();
      const id = await createRun(t.key, {
        prompt: "legacy",
        images: [{ mime_type: "image/png", data: b64(png) }],
      });
      const objects = await stored(id);
      expect(objects).toHaveLength(1);
      expect(objects[0]).toMatchObject({ type: "image/png", bytes: png });
    });

    it.each([
      [
        "a mime type that is not an image",
        [{ file_name: "a.txt", mime_type: "text/plain", data: b64(png) }],
        "attachments.0.mime_type",
      ],
      [
        "data that is not base64",
        [{ file_name: "a.png", mime_type: "image/png", data: "not base64!" }],
        "attachments.0.data",
      ],
      [
        "more than 5",
        Array.from({ length: 6 }, () => ({ mime_type: "image/png", data: b64(png) })),
        "attachments",
      ],
    ])("refuses %s with 400", async (_, attachments, path) => {
      const t = await newTeam();
      const problem = expectProblem(
        await call("POST", RUNS, { key: t.key, body: { prompt: "p", attachments } }),
        400,
        "invalid_request",
      );
      expect(paths(problem)).toContain(path);
    });
  });

  it("refuses a viewer with 403 and creates nothing", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    for (const path of [RUNS, LEGACY]) {
      expectProblem(
        await call("POST", path, { key: viewer.key, body: { prompt: "p" } }),
        403,
        "not_authorized",
      );
    }
    expect((await listRuns(t.key)).runs).toEqual([]);
    // a member may create
    const member = await memberKey(t.key, "member");
    await createRun(member.key);
  });

  it("refuses a request without a valid API key with 401", async () => {
    expectProblem(
      await call("POST", RUNS, { body: { prompt: "p" } }),
      401,
      "authentication_required",
    );
    expectProblem(
      await call("POST", RUNS, { key: "ambit_not_a_key", body: { prompt: "p" } }),
      401,
      "authentication_required",
    );
  });
});

describe("GET /agent/runs/{id}", () => {
  it("returns every RunItem field a queued run has", async () => {
    const t = await newTeam();
    const config = { name: "nightly", model_id: "m1", extra: { x: 1 } };
    const metadata = { ticket_id: "VIS-238" };
    const id = await createRun(t.key, {
      prompt: "Fix the flaky test\nmore words",
      config,
      metadata,
    });
    await untilDispatched({ runId: id, teamId: t.teamId }); // its row changes once more then, with why it waits
    const run = await getRun(t.key, id);
    const row = await runRow(id);
    expect(run).toEqual({
      run_id: id,
      task_id: id,
      title: "Fix the flaky test",
      state: "QUEUED",
      prompt: "Fix the flaky test\nmore words",
      created_at: new Date(row!.created_at).toISOString(),
      updated_at: new Date(row!.updated_at).toISOString(),
      started_at: null,
      execution_location: "REMOTE",
      status_message: {
        message: expect.stringMatching(/^Waiting: no host is connected for worker_host=warp/),
      },
      source: "API",
      session_id: id,
      session_link: `ws://ambit.test${RUNS}/${id}/session`,
      creator: {
        type: "user",
        uid: t.userId,
        display_name: expect.stringMatching(/^Owner \d+$/),
        email: t.email,
      },
      agent_config: config,
      metadata,
      is_sandbox_running: false,
      is_run_type_cancellable: true,
      artifacts: [],
      scope: { type: "Team", uid: t.teamId },
      sharing: { team: "EDITOR", public: "NONE" },
      // no model call yet: every figure zero (services/runs/run-usage.ts)
      request_usage: expect.objectContaining({
        inference_cost_usd: 0,
        total_tokens: 0,
        model_calls: 0,
        // a queued run's duration runs until now: a second or two on a busy machine
        run_duration: expect.stringMatching(/^PT\d+S$/),
      }),
    });
    expect(Date.parse(run.created_at)).not.toBeNaN();
  });

  it("shows a member's run with that member as creator", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    const id = await createRun(member.key);
    const run = await getRun(t.key, id);
    expect(run.creator).toEqual({ type: "user", uid: member.userId, email: member.email });
  });

  it("is readable by a viewer", async () => {
    const t = await newTeam();
    const viewer = await memberKey(t.key, "viewer");
    const id = await createRun(t.key);
    expect((await getRun(viewer.key, id)).run_id).toBe(id);
  });

  it("answers 404 for another team's run and for an unknown id", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const id = await createRun(a.key);
    for (const path of [`${RUNS}/${id}`, `/api/v1/agent/tasks/${id}`]) {
      expectProblem(await call("GET", path, { key: b.key }), 404, "resource_not_found");
    }
    expectProblem(
      await call("GET", `${RUNS}/00000000-0000-7000-8000-000000000000`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("GET", `${RUNS}/not-a-uuid`, { key: a.key }),
      404,
      "resource_not_found",
    );
    expect(id).toMatch(UUID_RE);
  });
});
