// Compatibility: the published Oz SDK (oz-agent-sdk 1.0.0-alpha.8), unchanged, against a real
// `wrangler dev`. alpha.8 has no method for `POST /agent/runs` (only the legacy `agent.run`), so
// that path goes through the client's generic `post`, as newer SDKs do in `agent.runs.create`.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import OzAPI, {
  APIConnectionError,
  type APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  UnprocessableEntityError,
} from "oz-agent-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, freePort, startDevServer } from "../../scripts/lib/wrangler-dev.ts";
import {
  api,
  type E2eServer,
  emptyEnvFile,
  type Json,
  startE2eServer,
  waitFor,
} from "./helpers.ts";

type RunAgentResponse = { run_id: string; task_id: string; state: string };
type ListPage = {
  runs: Json[];
  page_info: { has_next_page: boolean; next_cursor?: string | null };
};

let s: E2eServer;
let client: OzAPI;

const sdk = (
  apiKey: string,
  extra: Partial<ConstructorParameters<typeof OzAPI>[0]> = {},
  url = s.url,
) => new OzAPI({ apiKey, baseURL: `${url}/api/v1`, maxRetries: 0, ...extra });

/** `POST /agent/runs` (the current path) through the SDK's generic request method. */
const createRun = (body: Json, opts: { headers?: Record<string, string> } = {}) =>
  client.post<RunAgentResponse>("/agent/runs", { body, ...opts });

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<APIError> {
  try {
    const value = await p;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (err) {
    return err as APIError;
  }
}

/** The SDK error class for the status, with an RFC 7807 body carrying the error code. */
function expectProblem(
  err: APIError,
  cls: new (...a: any[]) => APIError,
  status: number,
  code: string,
) {
  expect(err, String(err)).toBeInstanceOf(cls);
  expect(err.status).toBe(status);
  expect(err.headers?.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = err.error as Json;
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance: expect.stringMatching(/^\/api\/v1\//),
    error_code: code,
    retryable: expect.any(Boolean),
    trace_id: expect.any(String),
  });
  expect(body.error).toBe(`${body.title} (${body.detail})`);
  expect(err.headers?.get("x-should-retry")).toBe(String(body.retryable));
  return body;
}

beforeAll(async () => {
  s = await startE2eServer({ teamName: "oz-sdk" });
  client = sdk(s.key);
});
afterAll(async () => {
  await s?.stop();
});

describe("oz-agent-sdk against wrangler dev: runs", () => {
  it("creates runs through the legacy agent.run and POST /agent/runs, and retrieves them", async () => {
    const name = `both-paths-${randomUUID()}`;
    const legacy = await client.agent.run({
      prompt: "Fix the flaky test in src/util",
      config: { name, model_id: "claude-4" },
    });
    expect(legacy).toEqual({ run_id: expect.any(String), task_id: legacy.run_id, state: "QUEUED" });
    const current = await createRun({
      prompt: "Add a changelog entry",
      title: "Changelog",
      config: { name },
    });
    expect(current).toEqual({
      run_id: expect.any(String),
      task_id: current.run_id,
      state: "QUEUED",
    });
    expect(current.run_id).not.toBe(legacy.run_id);
    expect(legacy.run_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );

    const a = await client.agent.runs.retrieve(legacy.run_id);
    expect(a).toMatchObject({
      run_id: legacy.run_id,
      task_id: legacy.run_id,
      state: "QUEUED",
      prompt: "Fix the flaky test in src/util",
      title: expect.stringContaining("Fix the flaky test"),
      source: "API",
      execution_location: "REMOTE",
      agent_config: { name, model_id: "claude-4" },
      creator: { type: "user", uid: s.owner.uid },
      scope: { type: "Team", uid: s.team.uid },
      is_sandbox_running: false,
      artifacts: [],
    });
    expect(Date.parse(a.created_at)).not.toBeNaN();
    expect(Date.parse(a.updated_at)).toBeGreaterThanOrEqual(Date.parse(a.created_at)); // the pool may already have said why it waits
    const b = await client.agent.runs.retrieve(current.run_id);
    expect(b).toMatchObject({
      run_id: current.run_id,
      title: "Changelog",
      prompt: "Add a changelog entry",
      state: "QUEUED",
    });
  });

  it("accepts every AgentRunParams field of the SDK and stores the config", async () => {
    const environment = await api(s.url, "POST", "/api/v1/agent/environments", {
      key: s.key,
      body: { name: "api" },
    });
    expect(environment.status, environment.text).toBe(201);
    const config = {
      name: `full-${randomUUID()}`,
      model_id: "gpt-5",
      environment_id: environment.json.uid as string,
      base_prompt: "You are careful.",
      computer_use_enabled: false,
      skill_spec: "acme/api:.claude/skills/deploy/SKILL.md",
      worker_host: "warp",
      mcp_servers: {
        docs: { url: "https://mcp.example.com/sse", headers: { "x-team": "a" } },
        local: { command: "npx", args: ["srv"], env: { A: "1" } },
      },
    };
    const { run_id } = await client.agent.run({
      prompt: "Deploy the API",
      title: "Deploy",
      team: false,
      config,
      images: [
        { data: Buffer.from("not really a png").toString("base64"), mime_type: "image/png" },
      ],
    });
    const run = await client.agent.runs.retrieve(run_id);
    expect(run).toMatchObject({
      title: "Deploy",
      prompt: "Deploy the API",
      agent_config: config,
      scope: { type: "User", uid: s.owner.uid },
    });
    const bySkill = await client.agent.runs.list({
      skill_spec: config.skill_spec,
      model_id: "gpt-5",
      environment_id: config.environment_id,
    });
    expect(bySkill.runs.map((r) => r.run_id)).toEqual([run_id]);
    const { run_id: skillOnly } = await client.agent.run({
      skill: "acme/api:.claude/skills/review/SKILL.md",
    });
    expect((await client.agent.runs.retrieve(skillOnly)).agent_config?.skill_spec).toBe(
      "acme/api:.claude/skills/review/SKILL.md",
    );
  });

  it("lists with the state, source, name, creator and q filters", async () => {
    const name = `filters-${randomUUID()}`;
    const token = `needle${randomUUID().slice(0, 8)}`;
    const queued = await client.agent.run({ prompt: `Queued run ${token}`, config: { name } });
    const fromCli = await client.agent.run(
      { prompt: "Started from the CLI", config: { name } },
      { headers: { "X-Oz-Api-Source": "CLI" } },
    );
    const toCancel = await createRun({ prompt: "Cancelled soon", config: { name } });
    await client.agent.runs.cancel(toCancel.run_id);

    const ids = (page: { runs: Array<{ run_id: string }> }) =>
      page.runs.map((r) => r.run_id).sort();
    const all = await client.agent.runs.list({ name });
    expect(ids(all)).toEqual([queued.run_id, fromCli.run_id, toCancel.run_id].sort());
    expect(all.page_info.has_next_page).toBe(false);

    expect(ids(await client.agent.runs.list({ name, state: ["QUEUED"] }))).toEqual(
      [queued.run_id, fromCli.run_id].sort(),
    );
    expect(ids(await client.agent.runs.list({ name, state: ["CANCELLED"] }))).toEqual([
      toCancel.run_id,
    ]);
    expect(
      ids(await client.agent.runs.list({ name, state: ["CANCELLED", "QUEUED"] })),
    ).toHaveLength(3);
    expect(ids(await client.agent.runs.list({ name, state: ["SUCCEEDED"] }))).toEqual([]);

    expect(ids(await client.agent.runs.list({ name, source: "CLI" }))).toEqual([fromCli.run_id]);
    expect(ids(await client.agent.runs.list({ name, source: "API" }))).toEqual(
      [queued.run_id, toCancel.run_id].sort(),
    );
    expect(ids(await client.agent.runs.list({ name, creator: s.owner.uid }))).toHaveLength(3);
    expect(ids(await client.agent.runs.list({ name, creator: "someone-else" }))).toEqual([]);
    // q searches the whole team, not only this config name
    expect(ids(await client.agent.runs.list({ q: token }))).toEqual([queued.run_id]);
    expect(ids(await client.agent.runs.list({ name: `${name}-other` }))).toEqual([]);
  });

  it("paginates with limit 2 following page_info.next_cursor until has_next_page is false, stable under inserts", async () => {
    const name = `pages-${randomUUID()}`;
    const created: string[] = [];
    for (let i = 0; i < 5; i++)
      created.push((await createRun({ prompt: `page run ${i}`, config: { name } })).run_id);

    const seen: string[] = [];
    const items: Json[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const page = (await client.agent.runs.list({
        name,
        limit: 2,
        ...(cursor ? { cursor } : {}),
      })) as ListPage;
      pages++;
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.run_id));
      items.push(...page.runs);
      if (!page.page_info.has_next_page) {
        expect(page.page_info.next_cursor ?? undefined).toBeUndefined();
        break;
      }
      expect(page.page_info.next_cursor).toEqual(expect.any(String));
      cursor = page.page_info.next_cursor!;
      expect(pages, "pagination does not end").toBeLessThan(10);
      // a run created mid-walk sorts before the cursor: it neither shifts nor repeats later pages
      if (pages === 1) await createRun({ prompt: "inserted while paging", config: { name } });
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length); // each id exactly once
    expect([...seen].sort()).toEqual([...created].sort());
    // the default order, updated_at desc then run_id desc, holds across page boundaries
    const key = (r: Json) => `${r.updated_at}|${r.run_id}`;
    expect(items.map(key)).toEqual(items.map(key).sort().reverse());
  });

  it("cancels a queued run: the run id as a string, then CANCELLED, then 400 on a second cancel", async () => {
    const { run_id } = await client.agent.run({ prompt: "Cancel me" });
    const res = await client.agent.runs.cancel(run_id);
    expect(res).toBe(run_id);
    const run = await client.agent.runs.retrieve(run_id);
    expect(run.state).toBe("CANCELLED");
    expect(Date.parse(run.updated_at)).toBeGreaterThanOrEqual(Date.parse(run.created_at));
    const err = await rejection(client.agent.runs.cancel(run_id));
    const body = expectProblem(err, BadRequestError, 400, "invalid_request");
    expect(body.detail).toMatch(/CANCELLED/);
  });
});

describe("oz-agent-sdk against wrangler dev: skills, environments and models", () => {
  it("agent.list returns registered skills in the SDK's AgentSkill shape; GET /agent/environments and /agent/models answer the Oz shapes", async () => {
    const repo = `acme-${randomUUID().slice(0, 8)}/tools`;
    const env = await api(s.url, "POST", "/api/v1/agent/environments", {
      key: s.key,
      body: {
        name: `tools-${randomUUID()}`,
        github_repos: [{ owner: repo.split("/")[0], repo: "tools" }],
      },
    });
    expect(env.status, env.text).toBe(201);
    const reg = await api(s.url, "POST", "/api/v1/agent/skills", {
      key: s.key,
      body: {
        repo,
        skill_path: "skills/review/SKILL.md",
        content: "---\nname: review\ndescription: Reviews a PR\n---\nReview it.",
      },
    });
    expect(reg.status, reg.text).toBe(200);
    const { agents } = await client.agent.list({ repo, sort_by: "name", refresh: true });
    expect(agents).toEqual([
      {
        name: "review",
        variants: [
          {
            id: `${repo}:skills/review/SKILL.md`,
            description: "Reviews a PR",
            base_prompt: "Review it.",
            source: {
              owner: repo.split("/")[0],
              name: "tools",
              skill_path: "skills/review/SKILL.md",
            },
            environments: [{ uid: env.json.uid, name: env.json.config.name }],
            last_run_timestamp: null,
          },
        ],
      },
    ]);
    const envs = await client.get<{ environments: Json[] }>("/agent/environments");
    expect(envs.environments.find((e) => e.uid === env.json.uid)).toMatchObject({
      config: { github_repos: [{ owner: repo.split("/")[0], repo: "tools" }] },
      setup_failed: false,
    });
    const models = await client.get<{ default_model_id: string; models: Json[] }>("/agent/models");
    expect(models).toEqual({ default_model_id: expect.any(String), models: expect.any(Array) });
  });

  it("agent.run with an unknown environment is a BadRequestError naming it", async () => {
    const err = await client.agent
      .run({ prompt: "p", config: { environment_id: "NoSuchEnvironmentAtAll" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as APIError).message).toMatch(/NoSuchEnvironmentAtAll/);
  });
});

describe("oz-agent-sdk against wrangler dev: every error class from the right status", () => {
  let viewer: OzAPI;

  beforeAll(async () => {
    const member = (await client.post("/team/members", {
      body: { email: `viewer-${randomUUID()}@example.com`, role: "viewer" },
    })) as Json;
    expect(member.role).toBe("viewer");
    const minted = (await client.post("/api-keys", {
      body: { name: "viewer key", user_uid: member.uid },
    })) as Json;
    expect(minted).toMatchObject({
      role: "viewer",
      principal: { type: "user", uid: member.uid },
      key: expect.stringMatching(/^ambit_/),
    });
    viewer = sdk(minted.key);
  });

  it("BadRequestError: 400 invalid_request naming the invalid field", async () => {
    const err = await rejection(client.agent.run({} as never));
    const body = expectProblem(err, BadRequestError, 400, "invalid_request");
    expect(body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "prompt" })]),
    );
    const typed = await rejection(createRun({ prompt: 42 }));
    expect(expectProblem(typed, BadRequestError, 400, "invalid_request").errors[0].path).toBe(
      "prompt",
    );
    expectProblem(
      await rejection(client.agent.runs.list({ limit: 0 })),
      BadRequestError,
      400,
      "invalid_request",
    );
  });

  it("AuthenticationError: 401 authentication_required for an unknown key", async () => {
    const stranger = sdk(`ambit_${"x".repeat(40)}`);
    expectProblem(
      await rejection(stranger.agent.runs.list()),
      AuthenticationError,
      401,
      "authentication_required",
    );
    expectProblem(
      await rejection(sdk("wk-not-ours").agent.run({ prompt: "hi" })),
      AuthenticationError,
      401,
      "authentication_required",
    );
  });

  it("PermissionDeniedError: 403 not_authorized for a viewer creating or cancelling a run", async () => {
    const { run_id } = await client.agent.run({ prompt: "owned by the owner" });
    expect((await viewer.agent.runs.retrieve(run_id)).run_id).toBe(run_id); // viewers read
    expectProblem(
      await rejection(viewer.agent.run({ prompt: "viewers may not" })),
      PermissionDeniedError,
      403,
      "not_authorized",
    );
    expectProblem(
      await rejection(viewer.post("/agent/runs", { body: { prompt: "nor here" } })),
      PermissionDeniedError,
      403,
      "not_authorized",
    );
    expectProblem(
      await rejection(viewer.agent.runs.cancel(run_id)),
      PermissionDeniedError,
      403,
      "not_authorized",
    );
    expect((await client.agent.runs.retrieve(run_id)).state).toBe("QUEUED");
  });

  it("NotFoundError: 404 resource_not_found for an unknown run", async () => {
    const unknown = randomUUID();
    expectProblem(
      await rejection(client.agent.runs.retrieve(unknown)),
      NotFoundError,
      404,
      "resource_not_found",
    );
    expectProblem(
      await rejection(client.agent.runs.cancel(unknown)),
      NotFoundError,
      404,
      "resource_not_found",
    );
  });

  it("NotFoundError: 404 for another member's personal run (team: false)", async () => {
    const { run_id } = await client.agent.run({ prompt: "just for me", team: false });
    expect((await client.agent.runs.retrieve(run_id)).scope).toEqual({
      type: "User",
      uid: s.owner.uid,
    });
    expectProblem(
      await rejection(viewer.agent.runs.retrieve(run_id)),
      NotFoundError,
      404,
      "resource_not_found",
    );
    expect((await viewer.agent.runs.list({ q: "just for me" })).runs).toEqual([]);
  });

  it("NotFoundError: 404 for another team's run", async () => {
    const other = await api(s.url, "POST", "/api/v1/teams", {
      body: { name: "other", owner: { email: `o-${randomUUID()}@example.com` } },
    });
    expect(other.status).toBe(201);
    const { run_id } = await sdk(other.json.api_key).agent.run({ prompt: "not yours" });
    expectProblem(
      await rejection(client.agent.runs.retrieve(run_id)),
      NotFoundError,
      404,
      "resource_not_found",
    );
  });

  it("ConflictError: 409 conflict for adding an existing member, not retryable", async () => {
    const email = `dup-${randomUUID()}@example.com`;
    await client.post("/team/members", { body: { email } });
    const body = expectProblem(
      await rejection(client.post("/team/members", { body: { email } })),
      ConflictError,
      409,
      "conflict",
    );
    expect(body.retryable).toBe(false);
  });

  it("UnprocessableEntityError: 422 idempotency_key_reused for one key with another body", async () => {
    const headers = { "Idempotency-Key": randomUUID() };
    const first = await createRun({ prompt: "idempotent A" }, { headers }).withResponse();
    expect(first.response.headers.get("idempotent-replayed")).toBeNull();
    const again = await createRun({ prompt: "idempotent A" }, { headers }).withResponse();
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get("idempotent-replayed")).toBe("true");
    const err = await rejection(createRun({ prompt: "idempotent B" }, { headers }));
    expectProblem(err, UnprocessableEntityError, 422, "idempotency_key_reused");
  });

  describe("InternalServerError: 500 server_misconfigured from a server without its secrets", () => {
    let bare: DevServer;
    let dir: string;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-bare-"));
      // --env-file: wrangler then skips the project's .dev.vars, so the Worker really has no secrets
      bare = await startDevServer({ persistTo: dir, extraArgs: ["--env-file", emptyEnvFile(dir)] });
    });
    afterAll(async () => {
      await bare?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("answers 500 naming the missing secrets, and the SDK does not retry it", async () => {
      let requests = 0;
      const counting = sdk(
        s.key,
        { maxRetries: 2, fetch: (url, init) => (requests++, fetch(url, init)) },
        bare.url,
      );
      const body = expectProblem(
        await rejection(counting.agent.runs.list()),
        InternalServerError,
        500,
        "server_misconfigured",
      );
      expect(body.detail).toMatch(/JWT_SECRET is missing/);
      expect(body.detail).toMatch(/SECRETS_KEY is missing/);
      expect(body.retryable).toBe(false);
      expect(requests).toBe(1);
      expect(await api(bare.url, "GET", "/healthz")).toMatchObject({
        status: 200,
        json: { ok: true },
      });
    });
  });
});

describe("oz-agent-sdk against wrangler dev: retries", () => {
  it("does not retry non-retryable 4xx (x-should-retry: false)", async () => {
    let requests = 0;
    const counting = sdk(s.key, {
      maxRetries: 2,
      fetch: (url, init) => (requests++, fetch(url, init)),
    });
    const email = `retry-${randomUUID()}@example.com`;
    await counting.post("/team/members", { body: { email } });
    const cases: Array<[() => Promise<unknown>, number]> = [
      [() => counting.agent.run({} as never), 400],
      [
        () =>
          sdk("ambit_unknown", {
            maxRetries: 2,
            fetch: (u, i) => (requests++, fetch(u, i)),
          }).agent.runs.list(),
        401,
      ],
      [() => counting.agent.runs.retrieve(randomUUID()), 404],
      [() => counting.post("/team/members", { body: { email } }), 409],
    ];
    for (const [call, status] of cases) {
      requests = 0;
      const err = await rejection(call());
      expect(err.status).toBe(status);
      expect(err.headers?.get("x-should-retry")).toBe("false");
      expect(requests, `requests for a ${status}`).toBe(1);
    }
    const key = { "Idempotency-Key": randomUUID() };
    await counting.post("/agent/runs", { body: { prompt: "x" }, headers: key });
    requests = 0;
    expect(
      (await rejection(counting.post("/agent/runs", { body: { prompt: "y" }, headers: key })))
        .status,
    ).toBe(422);
    expect(requests).toBe(1);
  });

  it("does retry what is retryable (control: a refused connection is tried 1 + maxRetries times)", async () => {
    let requests = 0;
    const port = await freePort();
    const counting = sdk(
      s.key,
      { maxRetries: 2, fetch: (url, init) => (requests++, fetch(url, init)) },
      `http://127.0.0.1:${port}`,
    );
    expect(await rejection(counting.agent.runs.list())).toBeInstanceOf(APIConnectionError);
    expect(requests).toBe(3);
  });
});

describe("idempotency across a dropped connection (raw HTTP)", () => {
  const listByQ = async (q: string) =>
    (await client.agent.runs.list({ q })).runs.map((r) => r.run_id);

  it("a retry after the client dropped the connection answers the committed run and creates nothing", async () => {
    const token = `dropped${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const body = JSON.stringify({ prompt: `Dropped connection ${token}` });
    // send the request on a bare socket and never read the answer
    const socket = net.connect(s.server.port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(
      [
        "POST /api/v1/agent/runs HTTP/1.1",
        `Host: 127.0.0.1:${s.server.port}`,
        `Authorization: Bearer ${s.key}`,
        "Content-Type: application/json",
        `Idempotency-Key: ${key}`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        "",
        body,
      ].join("\r\n"),
    );
    expect(
      await waitFor(async () => (await listByQ(token)).length > 0, 15_000),
      "the server never committed the run",
    ).toBe(true);
    socket.destroy(); // the client side drops: it never saw the response

    const retry = await fetch(`${s.url}/api/v1/agent/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${s.key}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body,
    });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const answer = (await retry.json()) as RunAgentResponse;
    expect(await listByQ(token)).toEqual([answer.run_id]);
  });

  it("a request aborted in flight, then retried like an SDK would, leaves exactly one run", async () => {
    const token = `aborted${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const body = JSON.stringify({ prompt: `Aborted in flight ${token}` });
    const send = (signal?: AbortSignal) =>
      fetch(`${s.url}/api/v1/agent/runs`, {
        method: "POST",
        signal,
        headers: {
          authorization: `Bearer ${s.key}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body,
      });
    const ac = new AbortController();
    const first = send(ac.signal).catch((err: Error) => err);
    setTimeout(() => ac.abort(), 1);
    await first; // aborted (or, rarely, answered before the abort): the client does not use it
    // retry while the server says the first attempt is still running (409, x-should-retry: true)
    let retry = await send();
    for (let i = 0; retry.status === 409 && i < 50; i++) {
      expect(retry.headers.get("x-should-retry")).toBe("true");
      await new Promise((r) => setTimeout(r, 200));
      retry = await send();
    }
    expect(retry.status).toBe(200);
    const answer = (await retry.json()) as RunAgentResponse;
    expect(await listByQ(token)).toEqual([answer.run_id]);
  });

  it("two identical requests racing on one key create exactly one run", async () => {
    const token = `racing${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const body = JSON.stringify({ prompt: `Racing ${token}` });
    const send = () =>
      fetch(`${s.url}/api/v1/agent/runs`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${s.key}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body,
      });
    const answers = await Promise.all([send(), send(), send()]);
    const ok: string[] = [];
    for (const res of answers) {
      expect([200, 409]).toContain(res.status);
      const json = (await res.json()) as Json;
      if (res.status === 200) ok.push(json.run_id);
      else expect(res.headers.get("x-should-retry")).toBe("true"); // still in flight: a retryable conflict
    }
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok).size).toBe(1);
    expect(await listByQ(token)).toEqual([ok[0]]);
    // a later retry gets the same answer
    const late = await send();
    expect(late.status).toBe(200);
    expect(((await late.json()) as Json).run_id).toBe(ok[0]);
  });
});
