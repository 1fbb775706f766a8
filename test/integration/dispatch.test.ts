// Dispatch end to end inside workerd: runs created through the API travel the real RUNS queue to
// their team's HostPool and reach scripted hosts connected to the host websocket.
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  listDurableObjectIds,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import {
  eventually,
  HOST_WS,
  hostRequest,
  poolHosts,
  poolState,
  sleep,
  TestHost,
  untilRun,
} from "../helpers/hosts.ts";
import { createRun, eventsOf, insertRunRow, RUNS } from "../helpers/runs.ts";
import { attach } from "../helpers/sockets.ts";

vi.setConfig({ testTimeout: 30_000 });

type Team = Awaited<ReturnType<typeof newTeam>>;

const stateIs = (state: string) => (r: Json) => r.state === state;
const waitingWith = (re: RegExp) => (r: Json) =>
  r.state === "QUEUED" && re.test(r.status_message?.message ?? "");

/** Waits until every host of the pool has said hello (so a run created now goes to them). */
const helloed = (t: Team, pool: string, n: number) =>
  eventually(
    `${n} hosts in ${pool}`,
    async () => (await poolHosts(t.teamId, pool)).filter((h) => h.capacity > 0).length === n,
  );

/** Delivers `bodies` to the Worker's queue handler as one batch, as the queue would; answers the ack/retry result. */
async function deliver(queue: "ambit-runs" | "ambit-runs-dlq", bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env); // the handler takes no ExecutionContext
  return { ids: batch.messages.map((m) => m.id), result: await getQueueResult(batch, ctx) };
}

const dispatchBody = (t: Team, runId: string, pool = "warp", executionId = 1) => ({
  kind: "dispatch",
  run_id: runId,
  team_id: t.teamId,
  pool,
  execution_id: executionId,
});

describe("dispatch through the RUNS queue", () => {
  it("routes by config.worker_host: a named host gets its runs, the platform pool (warp) gets the rest", async () => {
    const t = await newTeam("dispatch");
    const w1 = await TestHost.connect(t.key, "w1", { capacity: 5 });
    const warp = await TestHost.connect(t.key, "warp", { capacity: 5 });
    await helloed(t, "w1", 1);
    await helloed(t, "warp", 1);
    const forW1 = await createRun(t.key, { prompt: "on w1", config: { worker_host: "w1" } });
    const forWarp = await createRun(t.key, { prompt: "anywhere" });
    const namedWarp = await createRun(t.key, {
      prompt: "explicitly warp",
      config: { worker_host: "warp" },
    });
    await w1.assignmentOf(forW1);
    await warp.assignmentOf(forWarp);
    await warp.assignmentOf(namedWarp);
    await sleep(200);
    expect(w1.assignedIds()).toEqual([forW1]);
    expect(warp.assignedIds().sort()).toEqual([forWarp, namedWarp].sort());
    expect((await w1.assignmentOf(forW1)).task).toMatchObject({
      prompt: "on w1",
      agent_config: { worker_host: "w1" },
      team_id: t.teamId,
    });
    w1.close();
    warp.close();
  });

  it("a run's whole life: PENDING, CLAIMED, INPROGRESS with host events, SUCCEEDED; a follow-up dispatches execution 2", async () => {
    const t = await newTeam("dispatch");
    const host = await TestHost.connect(t.key, "warp");
    await helloed(t, "warp", 1);
    const runId = await createRun(t.key, { prompt: "Fix the flaky test" });
    const a = await host.assignmentOf(runId);
    expect(a).toMatchObject({
      task_id: runId,
      execution_id: 1,
      task: { prompt: "Fix the flaky test" },
      session: { path: `${RUNS}/${runId}/session` },
    });
    await untilRun(t.key, runId, stateIs("PENDING"));
    host.claim(runId);
    await untilRun(t.key, runId, stateIs("CLAIMED"));
    host.start(runId);
    await untilRun(t.key, runId, stateIs("INPROGRESS"));

    const session = await attach(runId, { token: a.session.token });
    expect(session.frames[0]).toMatchObject({ type: "ready", access: "HOST", execution_id: 1 });
    session.send({
      type: "append",
      ref: "a",
      events: [{ host_seq: 1, type: "agent.message", payload: { text: "working" } }],
    });
    expect((await session.next("ack", (f) => f.ref === "a")).refused).toEqual([]);
    host.complete(runId, { message: "Done: opened PR #7" });
    const done = await untilRun(t.key, runId, stateIs("SUCCEEDED"));
    expect(done.status_message).toEqual({ message: "Done: opened PR #7" });
    session.close();

    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: t.key,
          body: { message: "also update the docs" },
        })
      ).status,
    ).toBe(200);
    const second = await host.assignmentOf(runId, 1);
    expect(second.execution_id).toBe(2);
    await untilRun(t.key, runId, stateIs("PENDING"));
    const log = (await eventsOf({ runId, teamId: t.teamId }))!;
    expect(log.filter((e) => e.type === "run.state_changed").map((e) => e.payload.command)).toEqual(
      ["dispatch", "claim", "start", "succeed", "reopen", "dispatch"],
    );
    host.close();
  });

  it("with no host, status_message says so for the run's worker_host (and the run's log, opened later, starts from it)", async () => {
    const t = await newTeam("dispatch");
    const runId = await createRun(t.key, {
      prompt: "nobody home",
      config: { worker_host: "gpu-box" },
    });
    const run = await untilRun(t.key, runId, waitingWith(/no host/), "the no-host message");
    expect(run.status_message.message).toMatch(
      /^Waiting: no host is connected for worker_host=gpu-box/,
    );
    // told on the row alone (its session was not open); the session opens from the row
    expect(await eventsOf({ runId, teamId: t.teamId })).toMatchObject([
      { type: "run.created", payload: { status_message: run.status_message } },
    ]);
    // a host that connects later gets it
    const host = await TestHost.connect(t.key, "gpu-box");
    await host.assignmentOf(runId);
    await untilRun(t.key, runId, stateIs("PENDING"));
    host.close();
  });

  it("a batch's runs of one pool are offered together, in the order they came; the waiting ones are told on their rows, with no session opened", async () => {
    const t = await newTeam("dispatch");
    const host = await TestHost.connect(t.key, "w-batch", { capacity: 1 });
    await helloed(t, "w-batch", 1);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await insertRunRow(t, { worker_host: "w-batch" })).id);
    const { ids: msgIds, result } = await deliver(
      "ambit-runs",
      ids.map((id) => dispatchBody(t, id, "w-batch")),
    );
    expect(result.explicitAcks.sort()).toEqual(msgIds.sort());
    await host.assignmentOf(ids[0]);
    for (const [i, id] of ids.slice(1).entries()) {
      await untilRun(
        t.key,
        id,
        waitingWith(
          new RegExp(`all 1 host of worker_host=w-batch are busy \\(position ${i + 1} in line\\)`),
        ),
        `position ${i + 1}`,
      );
    }
    expect((await poolState(t.teamId, "w-batch")).line.map((e) => e.run_id)).toEqual(ids.slice(1));
    const sessions = await listDurableObjectIds(env.RUN_SESSION);
    expect(ids.map((id) => sessions.some((s) => s.equals(env.RUN_SESSION.idFromName(id))))).toEqual(
      [true, false, false, false],
    );
    host.close();
  });

  it("with every host busy, status_message says how many and the run's position in line", async () => {
    const t = await newTeam("dispatch");
    const a = await TestHost.connect(t.key, "warp");
    const b = await TestHost.connect(t.key, "warp");
    await helloed(t, "warp", 2);
    const r1 = await createRun(t.key, { prompt: "one" });
    const r2 = await createRun(t.key, { prompt: "two" });
    await eventually(
      "both hosts busy",
      async () => a.assignments().length + b.assignments().length === 2,
    );
    const r3 = await createRun(t.key, { prompt: "three" });
    const m3 = await untilRun(t.key, r3, waitingWith(/busy/), "the busy message");
    expect(m3.status_message.message).toBe(
      "Waiting: all 2 hosts of worker_host=warp are busy (position 1 in line)",
    );
    const r4 = await createRun(t.key, { prompt: "four" });
    const m4 = await untilRun(t.key, r4, waitingWith(/busy/), "the busy message");
    expect(m4.status_message.message).toBe(
      "Waiting: all 2 hosts of worker_host=warp are busy (position 2 in line)",
    );
    expect(new Set([...a.assignedIds(), ...b.assignedIds()])).toEqual(new Set([r1, r2]));
    a.close();
    b.close();
  });

  it("never assigns a run twice when the same message is delivered again (and again by the real queue)", async () => {
    const t = await newTeam("dispatch");
    const host = await TestHost.connect(t.key, "warp", { capacity: 10 });
    await helloed(t, "warp", 1);
    const runId = await createRun(t.key);
    const body = dispatchBody(t, runId);
    const first = await deliver("ambit-runs", [body]);
    const second = await deliver("ambit-runs", [body, body], 2);
    for (const d of [first, second]) expect(d.result.explicitAcks.sort()).toEqual(d.ids.sort());
    await host.assignmentOf(runId);
    await sleep(2_000); // the real queue's own delivery of the same message (batches wait up to 1 s)
    expect(host.assignedIds()).toEqual([runId]);
    expect((await poolState(t.teamId)).held.map((h) => h.run_id)).toEqual([runId]);
    host.close();
  });

  it("a message that lands in the dead-letter queue ends its run ERROR with a message that says so", async () => {
    const t = await newTeam("dispatch");
    const runId = (await insertRunRow(t, { worker_host: "w9" })).id;
    const { ids, result } = await deliver("ambit-runs-dlq", [dispatchBody(t, runId, "w9")], 6);
    expect(result.explicitAcks).toEqual(ids);
    const run = await untilRun(t.key, runId, stateIs("ERROR"));
    expect(run.status_message).toEqual({
      message: expect.stringMatching(/^Could not be dispatched to worker_host=w9 after 6 attempts/),
      error_code: "internal_error",
      retryable: true,
    });
    // a second dead letter for the same run changes nothing
    await deliver("ambit-runs-dlq", [dispatchBody(t, runId, "w9")], 6);
    expect((await untilRun(t.key, runId, stateIs("ERROR"))).status_message).toEqual(
      run.status_message,
    );
  });

  it("drops (acks) a message it does not understand", async () => {
    const { ids, result } = await deliver("ambit-runs", [
      { kind: "mystery" },
      "not even an object",
    ]);
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(result.retryMessages).toEqual([]);
  });

  it("a host that disconnects before claiming: the run goes to another host", async () => {
    const t = await newTeam("dispatch");
    const a = await TestHost.connect(t.key, "warp");
    await helloed(t, "warp", 1);
    const runId = await createRun(t.key);
    await a.assignmentOf(runId);
    const b = await TestHost.connect(t.key, "warp", { capacity: 0 });
    a.close();
    await untilRun(t.key, runId, stateIs("QUEUED"));
    b.hello({ capacity: 1 });
    await b.assignmentOf(runId);
    await untilRun(t.key, runId, stateIs("PENDING"));
    b.close();
  });
});

describe("cancel through the API", () => {
  it("a waiting run is removed from line at once and never reaches a host", async () => {
    const t = await newTeam("dispatch");
    const runId = await createRun(t.key);
    await untilRun(t.key, runId, waitingWith(/no host/));
    expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([runId]);
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key })).status).toBe(200);
    expect((await poolState(t.teamId)).line).toEqual([]);
    const host = await TestHost.connect(t.key, "warp");
    await sleep(300);
    expect(host.assignments()).toEqual([]);
    host.close();
  });

  it("a run cancelled before the queue delivers it never reaches a host", async () => {
    const t = await newTeam("dispatch");
    const host = await TestHost.connect(t.key, "warp");
    await helloed(t, "warp", 1);
    const runId = await createRun(t.key);
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key })).status).toBe(200);
    await sleep(2_000);
    expect(host.assignments()).toEqual([]);
    expect(await poolState(t.teamId)).toEqual({ line: [], held: [] });
    expect((await call("GET", `${RUNS}/${runId}`, { key: t.key })).json.state).toBe("CANCELLED");
    host.close();
  });

  it("a held run's host gets task_cancellation and the run ends CANCELLED when the host confirms", async () => {
    const t = await newTeam("dispatch");
    const host = await TestHost.connect(t.key, "warp");
    await helloed(t, "warp", 1);
    const runId = await createRun(t.key);
    await host.take(t.key, runId);
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: t.key })).status).toBe(200);
    expect((await host.cancellationOf(runId)).data).toEqual({
      task_id: runId,
      reason: `cancelled by user ${t.userId}`,
    });
    expect((await call("GET", `${RUNS}/${runId}`, { key: t.key })).json.state).toBe("INPROGRESS");
    host.complete(runId, { task_state: "CANCELLED", message: "Stopped on request" });
    expect((await untilRun(t.key, runId, stateIs("CANCELLED"))).status_message).toEqual({
      message: "Stopped on request",
    });
    host.close();
  });

  it("an editor's cancel frame on the session socket reaches the host too", async () => {
    const t = await newTeam("dispatch");
    const host = await TestHost.connect(t.key, "warp");
    await helloed(t, "warp", 1);
    const runId = await createRun(t.key);
    await host.take(t.key, runId);
    const editor = await attach(runId, { key: t.key });
    editor.send({ type: "cancel", ref: "c" });
    await editor.next("ack", (f) => f.type === "ack" && f.ref === "c");
    await host.cancellationOf(runId);
    host.fail(runId, { message: "killed", task_state: "CANCELLED" });
    await untilRun(t.key, runId, stateIs("CANCELLED"));
    editor.close();
    host.close();
  });
});

describe("the host socket: who may connect", () => {
  it("needs an API key (401) of an admin or owner (member and viewer: 403)", async () => {
    const t = await newTeam("hosts");
    const r = await hostRequest("w1");
    expect(r.status).toBe(401);
    for (const role of ["member", "viewer"] as const) {
      const m = await memberKey(t.key, role);
      const res = await hostRequest("w1", m.key);
      expect(res.status, role).toBe(403);
      expect(((await res.json()) as Json).error_code).toBe("not_authorized");
    }
    const admin = await memberKey(t.key, "admin");
    const host = await TestHost.connect(admin.key, "w1", false);
    expect(host.welcome.worker_id).toBe("w1");
    host.close();
  });

  it("refuses a missing or invalid worker_id, and a request without the websocket upgrade, with 400", async () => {
    const t = await newTeam("hosts");
    for (const id of [undefined, "", "bad id", "-leading-dash", "a/b", "x".repeat(65)]) {
      const res = await call(
        "GET",
        `${HOST_WS}${id === undefined ? "" : `?worker_id=${encodeURIComponent(id)}`}`,
        { key: t.key, headers: { upgrade: "websocket" } },
      );
      const problem = expectProblem(res, 400, "invalid_request");
      expect(
        problem.errors.map((e: Json) => e.path),
        String(id),
      ).toEqual(["query.worker_id"]);
    }
    expectProblem(
      await call("GET", `${HOST_WS}?worker_id=w1`, { key: t.key }),
      400,
      "invalid_request",
    );
    const ok = await hostRequest("a._-Z9", t.key);
    expect(ok.status).toBe(101);
    ok.webSocket!.accept();
    ok.webSocket!.close();
  });
});

describe("host listings", () => {
  it("connected-self-hosted-workers: one entry per worker id with its connection count (the platform pool is not listed)", async () => {
    const t = await newTeam("hosts");
    expect(
      (await call("GET", "/api/v1/agent/connected-self-hosted-workers", { key: t.key })).json,
    ).toEqual({ workers: [] });
    const hosts = [
      await TestHost.connect(t.key, "w1"),
      await TestHost.connect(t.key, "w1"),
      await TestHost.connect(t.key, "w2", false),
      await TestHost.connect(t.key, "warp"),
    ];
    const viewer = await memberKey(t.key, "viewer");
    const res = await call("GET", "/api/v1/agent/connected-self-hosted-workers", {
      key: viewer.key,
    });
    expect(res.status).toBe(200);
    const workers = [...res.json.workers].sort((x: Json, y: Json) =>
      x.worker_host.localeCompare(y.worker_host),
    );
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(workers).toEqual([
      { worker_host: "w1", connection_count: 2, connected_at: iso, last_seen_at: iso },
      { worker_host: "w2", connection_count: 1, connected_at: iso, last_seen_at: iso },
    ]);
    for (const h of hosts) h.close();
    await eventually(
      "the hosts gone",
      async () =>
        (await call("GET", "/api/v1/agent/connected-self-hosted-workers", { key: t.key })).json
          .workers.length === 0,
    );
  });

  it("/hosts: every connection with capacity, labels, version, vendor CLIs and the runs it holds", async () => {
    const t = await newTeam("hosts");
    const clis = [
      { name: "claude", version: "2.1.340", tested: "2.1.332", in_tested_range: true },
      { name: "gemini", version: "0.62.1", tested: "0.61.0", in_tested_range: false },
    ];
    const a = await TestHost.connect(t.key, "w1", {
      capacity: 3,
      labels: ["linux", "gpu"],
      version: "1.2.3",
      clis,
    });
    const b = await TestHost.connect(t.key, "warp", false);
    await helloed(t, "w1", 1);
    const runId = await createRun(t.key, { prompt: "held", config: { worker_host: "w1" } });
    await a.assignmentOf(runId);
    const res = await call("GET", "/api/v1/hosts", { key: t.key });
    expect(res.status).toBe(200);
    const byConn = Object.fromEntries(res.json.hosts.map((h: Json) => [h.connection_id, h]));
    expect(Object.keys(byConn).sort()).toEqual([a.connectionId, b.connectionId].sort());
    expect(byConn[a.connectionId]).toEqual({
      worker_id: "w1",
      connection_id: a.connectionId,
      capacity: 3,
      running: [runId],
      labels: ["linux", "gpu"],
      version: "1.2.3",
      clis,
      connected_at: expect.any(String),
      last_seen_at: expect.any(String),
    });
    expect(byConn[b.connectionId]).toMatchObject({
      worker_id: "warp",
      capacity: 0,
      running: [],
      labels: [],
      version: null,
      clis: [],
    });
    // a host that says hello without its CLIs (an older runner) has none listed
    const c = await TestHost.connect(t.key, "w2", { capacity: 1 });
    await helloed(t, "w2", 1);
    const again = (await call("GET", "/api/v1/hosts", { key: t.key })).json.hosts as Json[];
    expect(again.find((h) => h.connection_id === c.connectionId)).toMatchObject({ clis: [] });
    a.close();
    b.close();
    c.close();
  });
});

describe("teams never share hosts", () => {
  it("a host of team A never receives team B's runs, and B's listings do not show A's hosts", async () => {
    const a = await newTeam("team-a");
    const b = await newTeam("team-b");
    const hostA = await TestHost.connect(a.key, "warp", { capacity: 5 });
    const hostAw1 = await TestHost.connect(a.key, "w1", { capacity: 5 });
    await helloed(a, "warp", 1);
    await helloed(a, "w1", 1);
    const bRun = await createRun(b.key, { prompt: "team B's secret work" });
    const bRunW1 = await createRun(b.key, {
      prompt: "team B on w1",
      config: { worker_host: "w1" },
    });
    await untilRun(b.key, bRun, waitingWith(/no host is connected for worker_host=warp/));
    await untilRun(b.key, bRunW1, waitingWith(/no host is connected for worker_host=w1/));
    const aRun = await createRun(a.key, { prompt: "team A's work" });
    await hostA.assignmentOf(aRun);
    expect(hostA.assignedIds()).toEqual([aRun]);
    expect(hostAw1.assignedIds()).toEqual([]);
    expect((await call("GET", "/api/v1/hosts", { key: b.key })).json).toEqual({ hosts: [] });
    expect(
      (await call("GET", "/api/v1/agent/connected-self-hosted-workers", { key: b.key })).json,
    ).toEqual({ workers: [] });
    expect((await call("GET", "/api/v1/hosts", { key: a.key })).json.hosts).toHaveLength(2);
    // B's own host gets B's runs
    const hostB = await TestHost.connect(b.key, "warp");
    await hostB.assignmentOf(bRun);
    hostA.close();
    hostAw1.close();
    hostB.close();
  });
});
