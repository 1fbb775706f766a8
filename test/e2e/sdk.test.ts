// @ambit/sdk against a real `wrangler dev`: every resource, the error classes, retries and
// idempotency under a real transport fault (fault-proxy.ts), and the live run stream over the
// session websocket and over SSE, with replay and reconnect, driven by a scripted host.
import { randomUUID } from "node:crypto";
import net from "node:net";
import {
  Ambit,
  APIConnectionError,
  APIConnectionTimeoutError,
  type APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  type RunEvent,
  UnprocessableEntityError,
} from "@ambit/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/wrangler-dev.ts";
import { FaultProxy } from "./fault-proxy.ts";
import { type E2eServer, type Json, startE2eServer } from "./helpers.ts";
import { ScriptedHost } from "./scripted-host.ts";

let s: E2eServer;
let client: Ambit;
let proxy: FaultProxy;

beforeAll(async () => {
  s = await startE2eServer({ teamName: "sdk" });
  client = new Ambit({ apiKey: s.key, baseURL: s.url });
  proxy = await FaultProxy.start(s.server.port);
});
afterAll(async () => {
  await proxy?.stop();
  await s?.stop();
});

async function rejection(p: PromiseLike<unknown>): Promise<APIError> {
  try {
    throw new Error(`expected a rejection, got ${JSON.stringify(await p)}`);
  } catch (err) {
    return err as APIError;
  }
}

const idsOf = (runs: Json[]) => runs.map((r) => r.run_id);

describe("runs", () => {
  it("creates on both paths (base URL with or without /api/v1), retrieves, and exposes the raw response", async () => {
    const name = `paths-${randomUUID()}`;
    const { data, response } = await client.agent.runs
      .create({ prompt: "Fix the flaky test", title: "Flaky", config: { name } })
      .withResponse();
    expect(data).toEqual({ run_id: expect.any(String), task_id: data.run_id, state: "QUEUED" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/json/);
    const withSuffix = new Ambit({ apiKey: s.key, baseURL: `${s.url}/api/v1/` });
    const legacy = await withSuffix.agent.run({ prompt: "Legacy path", config: { name } });
    expect(legacy.state).toBe("QUEUED");
    const run = await client.agent.runs.retrieve(data.run_id);
    expect(run).toMatchObject({
      run_id: data.run_id,
      title: "Flaky",
      prompt: "Fix the flaky test",
      state: "QUEUED",
      agent_config: { name },
    });
    expect(idsOf((await client.agent.runs.list({ name })).runs).sort()).toEqual(
      [data.run_id, legacy.run_id].sort(),
    );
  });

  it("lists with filters and auto-paginates with for await over page_info.next_cursor", async () => {
    const name = `pages-${randomUUID()}`;
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        (
          await client.agent.runs.create({
            prompt: `page ${i}`,
            config: { name, model_id: "m-1" },
            metadata: { batch: name.slice(0, 40), i: String(i) },
          })
        ).run_id,
      );
    }
    const seen: string[] = [];
    for await (const run of client.agent.runs.list({
      name,
      limit: 2,
      sort_by: "created_at",
      sort_order: "asc",
    }))
      seen.push(run.run_id);
    expect(seen).toEqual(created);
    let pages = 0;
    for await (const page of client.agent.runs.list({ name, limit: 2 }).pages()) {
      pages++;
      expect(page.runs.length).toBeLessThanOrEqual(2);
    }
    expect(pages).toBe(3);
    const first = await client.agent.runs.list({ name, limit: 2 });
    expect(first.page_info).toEqual({ has_next_page: true, next_cursor: expect.any(String) });
    // the other filters reach the server
    expect(idsOf((await client.agent.runs.list({ name, metadata: { i: "3" } })).runs)).toEqual([
      created[3],
    ]);
    expect(
      idsOf(
        (
          await client.agent.runs.list({
            name,
            state: ["QUEUED", "PENDING"],
            model_id: "m-1",
            source: "API",
            execution_location: "REMOTE",
          })
        ).runs,
      ),
    ).toHaveLength(5);
    expect(idsOf((await client.agent.runs.list({ name, q: "page 4" })).runs)).toEqual([created[4]]);
    expect(
      (await client.agent.runs.list({ name, created_after: "2099-01-01T00:00:00Z" })).runs,
    ).toEqual([]);
    expect((await client.agent.runs.list({ name, state: ["SUCCEEDED"] })).runs).toEqual([]);
  });

  it("cancels, and sends follow-ups", async () => {
    const { run_id } = await client.agent.runs.create({ prompt: "cancel me" });
    expect(await client.agent.runs.followup(run_id, { message: "also update the docs" })).toEqual(
      {},
    );
    expect(await client.agent.runs.cancel(run_id)).toBe(run_id);
    expect((await client.agent.runs.retrieve(run_id)).state).toBe("CANCELLED");
    const again = await rejection(client.agent.runs.cancel(run_id));
    expect(again).toBeInstanceOf(BadRequestError);
    expect(again.detail).toMatch(/CANCELLED/);
  });
});

describe("error classes expose the RFC 7807 fields", () => {
  it("400 with every invalid field, 401, 403, 404, 409, 422", async () => {
    const bad = await rejection(client.agent.runs.create({} as never));
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad).toMatchObject({
      status: 400,
      error_code: "invalid_request",
      retryable: false,
      trace_id: expect.any(String),
      detail: expect.any(String),
    });
    expect(bad.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "prompt" })]),
    );
    expect(bad.message).toMatch(/^400 invalid_request: .*prompt/);

    const unauth = await rejection(
      new Ambit({ apiKey: "ambit_nope", baseURL: s.url }).agent.runs.list(),
    );
    expect(unauth).toBeInstanceOf(AuthenticationError);
    expect(unauth.error_code).toBe("authentication_required");

    const member = await client.team.members.add({
      email: `viewer-${randomUUID()}@example.com`,
      role: "viewer",
    });
    const viewerKey = await client.apiKeys.create({ name: "viewer", user_uid: member.uid });
    const viewer = new Ambit({ apiKey: viewerKey.key, baseURL: s.url });
    const denied = await rejection(viewer.agent.runs.create({ prompt: "no" }));
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied.error_code).toBe("not_authorized");

    const missing = await rejection(client.agent.runs.retrieve(randomUUID()));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.error_code).toBe("resource_not_found");

    const dup = await rejection(client.team.members.add({ email: member.email }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup.retryable).toBe(false);

    const key = randomUUID();
    await client.agent.runs.create({ prompt: "A" }, { idempotencyKey: key });
    const reused = await rejection(
      client.agent.runs.create({ prompt: "B" }, { idempotencyKey: key }),
    );
    expect(reused).toBeInstanceOf(UnprocessableEntityError);
    expect(reused.error_code).toBe("idempotency_key_reused");
  });
});

describe("retries, timeouts and idempotency", () => {
  const counting = (extra: ConstructorParameters<typeof Ambit>[0] = {}) => {
    const calls: Array<{ url: string; key: string | null }> = [];
    const c = new Ambit({
      apiKey: s.key,
      baseURL: s.url,
      maxRetries: 2,
      fetch: (url, init) => {
        calls.push({ url: String(url), key: new Headers(init?.headers).get("idempotency-key") });
        return fetch(url, init);
      },
      ...extra,
    });
    return { c, calls };
  };

  it("does not retry answers marked x-should-retry: false", async () => {
    const { c, calls } = counting();
    expect(await rejection(c.agent.runs.retrieve(randomUUID()))).toBeInstanceOf(NotFoundError);
    expect(await rejection(c.agent.runs.create({} as never))).toBeInstanceOf(BadRequestError);
    expect(calls).toHaveLength(2);
  });

  it("retries a refused connection 1 + maxRetries times, and honours a per-request maxRetries", async () => {
    const port = await freePort();
    const { c, calls } = counting({ baseURL: `http://127.0.0.1:${port}` });
    const err = await rejection(c.agent.runs.create({ prompt: "x" }));
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.message).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((x) => x.key)).size).toBe(1); // one Idempotency-Key across the retries
    expect(calls[0].key).toMatch(/^ambit-sdk-/);
    calls.length = 0;
    await rejection(c.agent.runs.list({}, { maxRetries: 0 }));
    expect(calls).toHaveLength(1);
  });

  it("times out a silent server per request and retries it", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const { c, calls } = counting({ baseURL: `http://127.0.0.1:${port}` });
    const started = Date.now();
    const err = await rejection(c.agent.runs.list({}, { timeout: 300, maxRetries: 1 }));
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    expect(calls).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    silent.close();
  });

  it("a connection dropped after the server committed the run: the SDK retries with the same key and exactly one run exists", async () => {
    const token = `dropped${randomUUID().slice(0, 8)}`;
    const viaProxy = new Ambit({ apiKey: s.key, baseURL: proxy.url, maxRetries: 2 });
    proxy.dropAnswers("POST /api/v1/agent/runs ", 1);
    const before = proxy.requests("POST /api/v1/agent/runs ").length;
    const { data, response } = await viaProxy.agent.runs
      .create({ prompt: `Dropped ${token}` })
      .withResponse();
    const attempts = proxy.requests("POST /api/v1/agent/runs ").slice(before);
    expect(attempts.map((a) => a.dropped)).toEqual([true, false]);
    expect(attempts[0].idempotencyKey).toBeTruthy();
    expect(attempts[1].idempotencyKey).toBe(attempts[0].idempotencyKey);
    expect(response.headers.get("idempotent-replayed")).toBe("true"); // the first attempt's answer, replayed
    expect(idsOf((await client.agent.runs.list({ q: token })).runs)).toEqual([data.run_id]);
  });

  it("control: without retries the same fault surfaces as a connection error, and the run was committed anyway", async () => {
    const token = `noretry${randomUUID().slice(0, 8)}`;
    const viaProxy = new Ambit({ apiKey: s.key, baseURL: proxy.url, maxRetries: 0 });
    proxy.dropAnswers("POST /api/v1/agent/runs ", 1);
    expect(
      await rejection(viaProxy.agent.runs.create({ prompt: `No retry ${token}` })),
    ).toBeInstanceOf(APIConnectionError);
    expect((await client.agent.runs.list({ q: token })).runs).toHaveLength(1);
  });
});

describe("team, members, api keys, signup, hosts", () => {
  it("reads the team, manages members and keys", async () => {
    const team = await client.team.retrieve();
    expect(team).toMatchObject({
      uid: s.team.uid,
      name: "sdk",
      caller: { uid: s.owner.uid, role: "owner" },
    });
    const m = await client.team.members.add({ email: `m-${randomUUID()}@example.com` });
    expect(m.role).toBe("member");
    expect((await client.team.members.update(m.uid, { role: "admin" })).role).toBe("admin");
    expect((await client.team.members.list()).members.map((x) => x.uid)).toContain(m.uid);
    await client.team.members.remove(m.uid);
    expect((await client.team.members.list()).members.map((x) => x.uid)).not.toContain(m.uid);

    const created = await client.apiKeys.create({ name: "ci", expires_in_days: 30 });
    expect(created.key).toMatch(/^ambit_/);
    const listed = (await client.apiKeys.list()).api_keys.find((k) => k.uid === created.uid);
    expect(listed).toMatchObject({ name: "ci", prefix: created.prefix, revoked_at: null });
    expect(listed).not.toHaveProperty("key");
    const { response } = await client.apiKeys.delete(created.uid).withResponse();
    expect(response.status).toBe(204);
    expect(
      await rejection(new Ambit({ apiKey: created.key, baseURL: s.url }).team.retrieve()),
    ).toBeInstanceOf(AuthenticationError);
  });

  it("signs up without a key, and lists connected hosts", async () => {
    const anon = new Ambit({ apiKey: null, baseURL: s.url });
    const signup = await anon.teams.create({
      name: "other",
      owner: { email: `o-${randomUUID()}@example.com` },
    });
    expect(signup.api_key).toMatch(/^ambit_/);
    expect((await new Ambit({ apiKey: signup.api_key, baseURL: s.url }).team.retrieve()).name).toBe(
      "other",
    );

    const host = await ScriptedHost.connect(s.url, s.key, "sdk-hosts", 3);
    try {
      let hosts: Json[] = [];
      for (let i = 0; i < 50 && !hosts.some((h) => h.capacity === 3); i++) {
        hosts = (await client.hosts.list()).hosts.filter((h) => h.worker_id === "sdk-hosts");
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(hosts).toEqual([
        expect.objectContaining({ worker_id: "sdk-hosts", capacity: 3, running: [] }),
      ]);
      expect((await client.hosts.connectedWorkers()).workers).toEqual(
        expect.arrayContaining([expect.objectContaining({ worker_host: "sdk-hosts" })]),
      );
    } finally {
      host.close();
    }
  });
});

describe("the live run stream", () => {
  let host: ScriptedHost;
  const POOL = "sdk-stream";

  beforeAll(async () => {
    host = await ScriptedHost.connect(s.url, s.key, POOL, 8);
  });
  afterAll(() => host?.close());

  /** A run taken by the scripted host, in progress. */
  async function liveRun(prompt: string) {
    const { run_id } = await client.agent.runs.create({ prompt, config: { worker_host: POOL } });
    await host.take(run_id);
    return run_id;
  }

  const work = [
    { type: "agent.message", payload: { text: "Looking at the test" } },
    {
      type: "agent.tool_call",
      payload: {
        call_id: "c1",
        name: "shell",
        category: "command",
        input: { command: "npm test" },
      },
    },
    { type: "command.output", payload: { call_id: "c1", stream: "stdout", chunk: "1 passing\n" } },
    {
      type: "agent.tool_result",
      payload: { call_id: "c1", name: "shell", state: "completed", output: { exit_code: 0 } },
    },
  ];

  const collect = async (it: AsyncIterable<RunEvent>, onEvent?: (e: RunEvent) => unknown) => {
    const out: RunEvent[] = [];
    for await (const e of it) {
      out.push(e);
      await onEvent?.(e);
    }
    return out;
  };

  for (const transport of ["websocket", "sse"] as const) {
    it(`${transport}: replays, follows live to the end, then stops at the terminal state`, async () => {
      const runId = await liveRun(`stream over ${transport}`);
      const stream = client.agent.runs.stream(runId, { transport });
      expect(stream.transport).toBe(transport);
      const events = collect(stream, async (e) => {
        if (e.type === "run.state_changed" && e.payload.to === "INPROGRESS") {
          await host.append(runId, work);
          host.complete(runId, "all green");
        }
      });
      const got = await events;
      expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => i + 1)); // from 1, no gap, no repeat
      expect(got.map((e) => e.type)).toEqual(
        expect.arrayContaining(["run.created", ...work.map((w) => w.type)]),
      );
      expect(got.at(-1)).toMatchObject({ type: "run.state_changed", payload: { to: "SUCCEEDED" } });
      expect(stream.state).toBe("SUCCEEDED");
      if (transport === "websocket") expect(stream.access).toBe("EDITOR");

      // `after` replays only what came later; a finished run's stream ends by itself
      const replay = client.agent.runs.stream(runId, { transport, after: got.length - 2 });
      const tail = await collect(replay);
      expect(tail.map((e) => e.seq)).toEqual([got.length - 1, got.length]);
      expect(replay.tailSeq).toBe(got.length); // the log's end when it connected: where replay ends
      expect(
        await collect(client.agent.runs.stream(runId, { transport, after: got.length })),
      ).toEqual([]);
    });

    it(`${transport}: reconnects after the connection is cut and resumes from the last seq without loss or repeat`, async () => {
      const runId = await liveRun(`reconnect over ${transport}`);
      const viaProxy = new Ambit({ apiKey: s.key, baseURL: proxy.url });
      const stream = viaProxy.agent.runs.stream(runId, { transport });
      let cut = false;
      const got = await collect(stream, async (e) => {
        if (e.type === "agent.message" && e.payload.text === "before the cut" && !cut) {
          cut = true;
          proxy.cutAll();
          await host.append(runId, [
            { type: "agent.message", payload: { text: "while disconnected" } },
          ]);
          await host.append(runId, [{ type: "agent.message", payload: { text: "after the cut" } }]);
          host.complete(runId);
        }
        if (e.type === "run.state_changed" && e.payload.to === "INPROGRESS")
          await host.append(runId, [
            { type: "agent.message", payload: { text: "before the cut" } },
          ]);
      });
      expect(stream.reconnects).toBeGreaterThanOrEqual(1);
      expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => i + 1));
      expect(got.filter((e) => e.type === "agent.message").map((e) => e.payload.text)).toEqual([
        "before the cut",
        "while disconnected",
        "after the cut",
      ]);
      expect(stream.state).toBe("SUCCEEDED");
    });
  }

  it("websocket: a connection gone silent without closing is noticed by its pings and replaced", async () => {
    const runId = await liveRun("silent link");
    // a short timeout: a frozen keep-alive connection reused for the new attach token is abandoned quickly too
    const viaProxy = new Ambit({ apiKey: s.key, baseURL: proxy.url, timeout: 1_000 });
    const stream = viaProxy.agent.runs.stream(runId, {
      transport: "websocket",
      idleTimeoutMs: 1_500,
    });
    let frozenAt = 0;
    const got = await collect(stream, async (e) => {
      if (e.type === "run.state_changed" && e.payload.to === "INPROGRESS") {
        frozenAt = Date.now();
        proxy.freezeAll();
        await host.append(runId, [
          { type: "agent.message", payload: { text: "said while the link was dead" } },
        ]);
        host.complete(runId);
      }
    });
    expect(stream.reconnects).toBeGreaterThanOrEqual(1);
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(1_500);
    expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => i + 1));
    expect(got.some((e) => e.payload.text === "said while the link was dead")).toBe(true);
    expect(stream.state).toBe("SUCCEEDED");
  });

  it("stops when the signal aborts, and the record endpoints answer", async () => {
    const runId = await liveRun("abort me");
    const ac = new AbortController();
    const got = await collect(client.agent.runs.stream(runId, { signal: ac.signal }), (e) => {
      if (e.type === "run.state_changed" && e.payload.to === "INPROGRESS") ac.abort();
    });
    expect(got.at(-1)?.payload.to).toBe("INPROGRESS");

    await host.append(runId, [
      { type: "agent.message", payload: { text: "Hello from the agent" } },
    ]);
    host.fail(runId, "tests still failing", { error_code: "invalid_request" });
    const ended = await collect(client.agent.runs.stream(runId, { after: got.at(-1)!.seq }));
    expect(ended.at(-1)).toMatchObject({ payload: { to: "FAILED" } });
    const conversation = await client.agent.runs.conversation(runId);
    expect(JSON.stringify(conversation)).toContain("Hello from the agent");
    const timeline = await client.agent.runs.timeline(runId);
    expect(timeline.events.length).toBeGreaterThan(0);
    const page = await client.agent.runs.events(runId, { after: 0, limit: 2 });
    expect(page).toMatchObject({ has_more: true, last_seq: ended.at(-1)!.seq });
    const transcript = (await client.agent.runs.transcript(runId))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(transcript.at(-1).seq).toBe(ended.at(-1)!.seq);
    const token = await client.agent.runs.sessionToken(runId);
    expect(token).toMatchObject({ access: "EDITOR", session_url: expect.stringMatching(/^ws:/) });
  });
});
