// The model gateway in workerd against the scripted model server
// (test/helpers/model-server-setup.ts):
// a run's gateway credential in each form a client sends a key, refused once the run ended;
// the team's key sent upstream in its place; answers streamed through as they come, their usage
// read per provider into the ledger at the catalog's prices, and a `usage` event per call.
import { env, exports } from "cloudflare:workers";
import type { TaskAssignment } from "@ambit/protocol";
import { describe, expect, inject, it, vi } from "vitest";
import { BASE, call, memberKey, newTeam } from "../helpers/api.ts";
import { TestHost, untilRun } from "../helpers/hosts.ts";
import { createRun, eventsOf } from "../helpers/runs.ts";

vi.setConfig({ testTimeout: 30_000 });

const A = "/api/v1/agent";
const GW = "/api/v1/gateway";
const upstream = () => inject("modelServerUrl");

async function secret(key: string, name: string, value: string) {
  const r = await call("POST", `${A}/secrets`, { key, body: { name, value } });
  expect(r.status, r.text).toBeLessThan(300);
}

/** A team whose run is held by a test host, with the secrets given; answers its assignment. */
async function heldRun(secrets: Record<string, string>, model?: Record<string, unknown>) {
  const t = await newTeam("gateway");
  for (const [name, value] of Object.entries(secrets)) await secret(t.key, name, value);
  if (model) {
    const r = await call("POST", `${A}/models`, { key: t.key, body: { default: true, ...model } });
    expect(r.status, r.text).toBeLessThan(300);
  }
  const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
  const runId = await createRun(t.key, { prompt: "count my tokens" });
  await host.take(t.key, runId);
  const assignment: TaskAssignment = await host.assignmentOf(runId);
  return { t, host, runId, assignment, token: assignment.gateway!.token };
}

const gw = (path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`${BASE}${GW}${path}`, init));

const json = (body: unknown, headers: Record<string, string>, turn?: unknown) => ({
  method: "POST",
  headers: {
    "content-type": "application/json",
    ...headers,
    ...(turn ? { "x-test-turn": JSON.stringify(turn) } : {}),
  },
  body: JSON.stringify(body),
});

async function ledgerOf(runId: string) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM model_calls WHERE run_id = ? ORDER BY created_at, id",
  )
    .bind(runId)
    .all<Record<string, any>>();
  return results;
}

/** A streamed answer's first read and when it came, then the rest and when it ended. */
async function firstAndRest(res: Response) {
  const reader = res.body!.getReader();
  const started = Date.now();
  const first = new TextDecoder().decode((await reader.read()).value);
  const firstMs = Date.now() - started;
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read())
    rest += new TextDecoder().decode(r.value);
  return { first, firstMs, rest, restMs: Date.now() - started };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 5_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the model gateway", () => {
  it("the assignment carries the gateway and no model key; the team's key goes upstream for every credential form", async () => {
    const { t, host, runId, assignment, token } = await heldRun({
      ANTHROPIC_API_KEY: "sk-ant-team-key",
      ANTHROPIC_BASE_URL: upstream(),
      OPENAI_API_KEY: "sk-openai-team-key",
      OPENAI_BASE_URL: `${upstream()}/v1`,
      GEMINI_API_KEY: "gemini-team-key",
      GOOGLE_GEMINI_BASE_URL: upstream(),
      GITHUB_TOKEN: "still-given",
    });
    expect(assignment.gateway?.path).toBe(GW);
    expect(assignment.secrets.map((s) => s.name)).toEqual(["GITHUB_TOKEN"]);
    expect(JSON.stringify(assignment)).not.toMatch(/team-key/);

    const anthropic = await gw(
      "/anthropic/v1/messages?beta=true",
      json({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [] }, { "x-api-key": token }),
    );
    expect(anthropic.status).toBe(200);
    const a = (await anthropic.json()) as any;
    expect(a.content[0].text).toContain("key=sk-ant-team-key");
    expect(a.content[0].text).toContain("url=/v1/messages?beta=true");

    const openai = await gw(
      "/openai/v1/chat/completions",
      json({ model: "gpt-4.1", messages: [] }, { authorization: `Bearer ${token}` }),
    );
    expect(((await openai.json()) as any).choices[0].message.content).toContain(
      "key=Bearer sk-openai-team-key",
    );

    for (const how of [{ "x-goog-api-key": token }, {}] as Record<string, string>[]) {
      const q = "x-goog-api-key" in how ? "" : `?key=${token}`;
      const gemini = await gw(
        `/gemini/v1beta/models/gemini-2.5-flash:generateContent${q}`,
        json({ contents: [] }, how),
      );
      expect(gemini.status).toBe(200);
      const text = ((await gemini.json()) as any).candidates[0].content.parts[0].text;
      expect(text).toContain("key=gemini-team-key");
      expect(text).not.toContain(token); // ?key= stays at the gateway
    }
    // a side request (a model list) passes through unrecorded
    const models = await gw("/openai/v1/models", { headers: { authorization: `Bearer ${token}` } });
    expect(models.status).toBe(200);
    await until("four calls in the ledger", async () =>
      (await ledgerOf(runId)).length === 4 ? true : undefined,
    );
    host.complete(runId, { message: "done" });
    await untilRun(t.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    host.close();
  });

  it("refuses no credential, a forged one, the run's HOST token, and the credential of an ended run (401 problem)", async () => {
    const { t, host, runId, assignment, token } = await heldRun({
      ANTHROPIC_BASE_URL: upstream(),
    });
    const body = { model: "claude-haiku-4-5", max_tokens: 10, messages: [] };
    for (const headers of [
      {},
      { "x-api-key": `${token.slice(0, -4)}AAAA` },
      { "x-api-key": assignment.session.token },
    ] as Record<string, string>[]) {
      const r = await gw("/anthropic/v1/messages", json(body, headers));
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await gw("/anthropic/v1/messages", json(body, { "x-api-key": token }))).status).toBe(
      200,
    );
    host.complete(runId, { message: "done" });
    await untilRun(t.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    const ended = await gw("/anthropic/v1/messages", json(body, { "x-api-key": token }));
    expect(ended.status).toBe(401);
    const problem = (await ended.json()) as any;
    expect(problem.detail).toContain("SUCCEEDED");
    host.close();
  });

  it("streams pass through as they come; usage per provider lands in the ledger at the catalog's prices, with a usage event per call", async () => {
    const { t, host, runId, token } = await heldRun(
      {
        MODEL_KEY: "sk-catalog",
        ANTHROPIC_BASE_URL: upstream(),
        GOOGLE_GEMINI_BASE_URL: upstream(),
      },
      {
        id: "house-model",
        provider: "openai",
        model: "house-1",
        base_url: `${upstream()}/v1`,
        api_key_secret: "MODEL_KEY",
        // USD per million tokens: $2 in, $8 out, $0.5 cache read, $1.25 cache write
        prices: { input: 2, output: 8, cache_read: 0.5, cache_write: 1.25 },
      },
    );
    const auth = { authorization: `Bearer ${token}` };
    const usage = { input: 1234, output: 567, cacheRead: 89, cacheWrite: 0 };

    // chat stream, client did not ask for usage: the gateway asks, and holds that chunk back
    const chat = await gw(
      "/openai/v1/chat/completions",
      json({ model: "house-1", stream: true, messages: [] }, auth, { text: "hello world", usage }),
    );
    const chatText = await chat.text();
    expect(chatText).toContain("hello");
    expect(chatText).not.toContain('"usage"');
    expect(chatText.trim().endsWith("data: [DONE]")).toBe(true);
    // a client that asked gets it
    const asked = await gw(
      "/openai/v1/chat/completions",
      json(
        { model: "house-1", stream: true, stream_options: { include_usage: true }, messages: [] },
        auth,
        { text: "again", usage },
      ),
    );
    expect(await asked.text()).toContain('"prompt_tokens":1323');
    // Responses, streamed
    const responses = await gw(
      "/openai/v1/responses",
      json({ model: "house-1", stream: true, input: "hi" }, auth, { text: "resp", usage }),
    );
    expect(await responses.text()).toContain("response.completed");
    // Anthropic streamed (the team's usual secrets: default prices of claude-sonnet-4-5)
    const anth = await gw(
      "/anthropic/v1/messages",
      json({ model: "claude-sonnet-4-5", stream: true, max_tokens: 10, messages: [] }, auth, {
        text: "anthropic text",
        usage: { input: 1000, output: 200, cacheRead: 3000, cacheWrite: 400 },
      }),
    );
    expect(await anth.text()).toContain("message_stop");
    // Gemini streamed (SSE)
    const gem = await gw(
      "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
      json(
        { contents: [] },
        { "x-goog-api-key": token },
        {
          text: "gemini says",
          usage: { input: 700, output: 70, cacheRead: 7 },
        },
      ),
    );
    expect(await gem.text()).toContain("usageMetadata");

    const rows = await until("five calls in the ledger", async () => {
      const r = await ledgerOf(runId);
      return r.length === 5 ? r : undefined;
    });
    const pick = (r: Record<string, any>) => ({
      model_id: r.model_id,
      provider: r.provider,
      input: r.input_tokens,
      output: r.output_tokens,
      cache_read: r.cache_read_tokens,
      cache_write: r.cache_write_tokens,
      cost: r.cost,
    });
    // house-1: 1234×2 + 567×8 + 89×0.5 = 2468 + 4536 + 44.5→45 (rounded per part) = 7049 µ$
    const house = { model_id: "house-model", provider: "openai", input: 1234, output: 567 };
    expect(rows.map(pick)).toEqual([
      { ...house, cache_read: 89, cache_write: 0, cost: 7049 },
      { ...house, cache_read: 89, cache_write: 0, cost: 7049 },
      { ...house, cache_read: 89, cache_write: 0, cost: 7049 },
      // claude-sonnet-4-5 defaults $3/$15/$0.3/$3.75: 3000 + 3000 + 900 + 1500
      {
        model_id: "claude-sonnet-4-5",
        provider: "anthropic",
        input: 1000,
        output: 200,
        cache_read: 3000,
        cache_write: 400,
        cost: 8400,
      },
      // gemini-2.5-flash defaults $0.3/$2.5/$0.075: 210 + 175 + 0.525→1
      {
        model_id: "gemini-2.5-flash",
        provider: "gemini",
        input: 700,
        output: 70,
        cache_read: 7,
        cache_write: 0,
        cost: 386,
      },
    ]);
    for (const r of rows) {
      expect(r.member_id).toBeTruthy();
      expect(r.latency_ms).toBeGreaterThanOrEqual(r.ttfb_ms);
    }
    const events = await until("five usage events", async () => {
      const e = ((await eventsOf({ runId, teamId: t.teamId })) ?? []).filter(
        (x) => x.type === "usage",
      );
      return e.length === 5 ? e : undefined;
    });
    expect(events[0].payload).toMatchObject({
      model_id: "house-model",
      input_tokens: 1234,
      output_tokens: 567,
      cache_read_tokens: 89,
      cost_usd: 0.007049,
      source: "gateway",
    });
    expect(events[0].actor).toEqual({ type: "system", id: "gateway" });

    // the run's request_usage (Oz shape), summed from the ledger, on the run and in the list
    const run = await call("GET", `${A}/runs/${runId}`, { key: t.key });
    const u = run.json.request_usage;
    expect(u.inference_cost_usd).toBeCloseTo((3 * 7049 + 8400 + 386) / 1e6, 12);
    expect(u.total_tokens).toBe(3 * (1234 + 567 + 89) + 1000 + 200 + 3000 + 400 + 700 + 70 + 7);
    expect(u.model_calls).toBe(5);
    expect(u.usage_by_category.primary_agent.byok_inference_usage["house-model"]).toEqual({
      token_count: { input: 3702, output: 1701, input_cache_read: 267, input_cache_write: 0 },
      cost_usd: {
        input_cost_usd: 0.007404,
        input_cache_read_cost_usd: 0.000135,
        input_cache_write_cost_usd: 0,
        output_cost_usd: 0.013608,
      },
      web_search_count: 0,
      web_search_cost_usd: 0,
    });
    expect(u.compute_time).toMatch(/^P/);
    const listed = await call("GET", `${A}/runs?limit=5`, { key: t.key });
    expect(listed.json.runs[0].request_usage).toEqual(u);
    host.complete(runId, { message: "done" });
    host.close();
  });

  it("passes the first chunk on before the provider sends the rest (no buffering)", async () => {
    const { host, runId, token } = await heldRun({ ANTHROPIC_BASE_URL: upstream() });
    const res = await gw(
      "/anthropic/v1/messages",
      json(
        { model: "claude-haiku-4-5", stream: true, max_tokens: 10, messages: [] },
        {
          "x-api-key": token,
        },
        { text: "later", holdMs: 3_000 },
      ),
    );
    const { first, firstMs, rest, restMs } = await firstAndRest(res);
    expect(first).toContain("message_start");
    expect(firstMs).toBeLessThan(2_000);
    expect(rest).toContain("message_stop");
    expect(restMs).toBeGreaterThanOrEqual(2_500);
    await until("the call in the ledger", async () => ((await ledgerOf(runId)).length ? 1 : 0));
    host.complete(runId, { message: "done" });
    host.close();
  });

  it("a chat stream whose usage chunk is held back also passes its first chunk on at once", async () => {
    const { host, runId, token } = await heldRun({ OPENAI_BASE_URL: `${upstream()}/v1` });
    const usage = { input: 10, output: 3 };
    const res = await gw(
      "/openai/v1/chat/completions",
      json(
        { model: "gpt-4.1", stream: true, messages: [] },
        { authorization: `Bearer ${token}` },
        { text: "later", usage, holdMs: 3_000 },
      ),
    );
    const { first, firstMs, rest, restMs } = await firstAndRest(res);
    expect(first).toContain('"role":"assistant"');
    expect(firstMs).toBeLessThan(2_000);
    expect(rest).toContain("later");
    expect(rest).not.toContain('"usage"');
    expect(rest.trim().endsWith("data: [DONE]")).toBe(true);
    expect(restMs).toBeGreaterThanOrEqual(2_500);
    const [row] = await until("the call in the ledger", async () => {
      const r = await ledgerOf(runId);
      return r.length ? r : undefined;
    });
    expect([row.input_tokens, row.output_tokens]).toEqual([10, 3]);
    host.complete(runId, { message: "done" });
    host.close();
  });

  it("answers of thousands of events reach the client whole, their usage read to the end", async () => {
    const { host, runId, token } = await heldRun({
      ANTHROPIC_BASE_URL: upstream(),
      OPENAI_BASE_URL: `${upstream()}/v1`,
    });
    // 6,000 events of 5 characters: several of the copy's 64 KB reads, the usage in the last
    const turn = { text: "abcde", repeat: 6_000, usage: { input: 4321, output: 6000 } };
    const calls = [
      // read natively by the client, usage from the tee
      ["/anthropic/v1/messages", { model: "claude-haiku-4-5", max_tokens: 10, messages: [] }],
      [
        "/openai/v1/chat/completions",
        { model: "gpt-4.1", stream_options: { include_usage: true } },
      ],
      // the usage chunk held back: every event passes through the gateway's own reads
      ["/openai/v1/chat/completions", { model: "gpt-4.1", messages: [] }],
    ] as const;
    for (const [path, body] of calls) {
      const res = await gw(path, json({ ...body, stream: true }, { "x-api-key": token }, turn));
      const got = await res.text();
      expect(got.match(/abcde/g)?.length, path).toBe(6_000);
      expect(got.includes('"usage"'), path).toBe(
        !path.includes("chat") || "stream_options" in body,
      );
    }
    const rows = await until("three calls in the ledger", async () => {
      const r = await ledgerOf(runId);
      return r.length === 3 ? r : undefined;
    });
    expect(rows.map((r) => [r.input_tokens, r.output_tokens])).toEqual([
      [4321, 6000],
      [4321, 6000],
      [4321, 6000],
    ]);
    host.complete(runId, { message: "done" });
    host.close();
  });

  it("refuses the calls of a run whose host's key was revoked, within two seconds", async () => {
    const t = await newTeam("gateway-revoked");
    await secret(t.key, "ANTHROPIC_BASE_URL", upstream());
    const made = await call("POST", "/api/v1/api-keys", { key: t.key, body: { name: "host" } });
    expect(made.status, made.text).toBe(201);
    const host = await TestHost.connect(made.json.key, "warp", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "count my tokens" });
    await host.take(t.key, runId);
    const token = (await host.assignmentOf(runId)).gateway!.token;
    const body = { model: "claude-haiku-4-5", max_tokens: 10, messages: [] };
    const send = () => gw("/anthropic/v1/messages", json(body, { "x-api-key": token }));
    expect((await send()).status).toBe(200);
    const revoked = await call("DELETE", `/api/v1/api-keys/${made.json.uid}`, { key: t.key });
    expect(revoked.status, revoked.text).toBe(204);
    await new Promise((r) => setTimeout(r, 2_100));
    const refused = await send();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).detail).toMatch(/revoked/);
    host.close();
  });

  it("records a provider's error answer as a failed call at no cost, and passes it on whole", async () => {
    const { t, host, runId, token } = await heldRun({
      ANTHROPIC_BASE_URL: upstream(),
      OPENAI_BASE_URL: `${upstream()}/v1`,
    });
    const limited = '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}';
    const a = await gw(
      "/anthropic/v1/messages",
      json(
        { model: "claude-haiku-4-5", max_tokens: 10, messages: [] },
        { "x-api-key": token },
        { status: 429, body: limited },
      ),
    );
    expect([a.status, await a.text()]).toEqual([429, limited]);
    // a chat stream whose usage chunk the gateway asked for: the error still reaches the client
    const broken = '{"error":{"message":"the model is down"}}';
    const o = await gw(
      "/openai/v1/chat/completions",
      json(
        { model: "gpt-4.1", stream: true, messages: [] },
        { authorization: `Bearer ${token}` },
        { status: 500, body: broken },
      ),
    );
    expect([o.status, await o.text()]).toEqual([500, broken]);
    const rows = await until("both calls in the ledger", async () => {
      const l = await ledgerOf(runId);
      return l.length === 2 ? l : undefined;
    });
    expect(
      rows.map((r) => [r.model_id, r.status, r.input_tokens + r.output_tokens, r.cost]).sort(),
    ).toEqual([
      ["claude-haiku-4-5", 429, 0, 0],
      ["gpt-4.1", 500, 0, 0],
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const u = await call("GET", `/api/v1/usage?from=${today}&to=${today}`, { key: t.key });
    expect([u.json.total.model_calls, u.json.total.failed_model_calls]).toEqual([2, 2]);
    host.complete(runId, { message: "done" });
    host.close();
  });

  it("a team that turns the gateway off: its hosts get the model keys as secrets, and no gateway", async () => {
    const t = await newTeam("gateway-off");
    const member = await memberKey(t.key, "admin");
    const refused = await call("PATCH", "/api/v1/team", {
      key: (await memberKey(t.key, "member")).key,
      body: { model_gateway: false },
    });
    expect(refused.status).toBe(403);
    const off = await call("PATCH", "/api/v1/team", {
      key: member.key,
      body: { model_gateway: false },
    });
    expect(off.status, off.text).toBe(200);
    expect(off.json.model_gateway).toBe(false);
    await secret(t.key, "ANTHROPIC_API_KEY", "sk-ant-for-the-host");
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "p" });
    const a: TaskAssignment = await host.assignmentOf(runId);
    expect(a.gateway).toBeNull();
    expect(a.secrets.map((s) => s.value)).toEqual(["sk-ant-for-the-host"]);
    host.close();
  });

  it("refuses a WebSocket upgrade with 426, so clients fall back to HTTPS", async () => {
    const r = await gw("/openai/v1/responses", { headers: { upgrade: "websocket" } });
    expect(r.status).toBe(426);
  });
});
