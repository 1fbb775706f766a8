// Dispatch against a real `wrangler dev`, with test hosts in their own Node processes
// (host-process.ts) speaking the host protocol over a real websocket: a host killed mid-run
// leaves no run stuck, two hosts share the load, a cancelled run's host is told.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";

/** Short dispatch timings (vars of src/env.ts), so a lost host is detected in seconds, not a minute. */
const TIMINGS = { HOST_LOST_GRACE_MS: "3000", CANCEL_GRACE_MS: "3000" };
/** The pool's grace for a host that went away holding a run, plus its alarm period and some slack. */
const LOST_AFTER_MS = 3_000 + 5_000;

let s: E2eServer;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  s = await startE2eServer({ teamName: "e2e-dispatch", vars: TIMINGS });
});

afterAll(async () => {
  for (const h of hosts) h.kill();
  await s?.stop();
});

/** A test host running in a child process; every frame it receives, in order. */
class HostProcess {
  readonly frames: Json[] = [];
  private buffer = "";
  readonly exited: Promise<void>;

  readonly workerId: string;
  readonly child: ChildProcess;

  constructor(workerId: string, child: ChildProcess) {
    this.workerId = workerId;
    this.child = child;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf("\n"); i >= 0; i = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, i).trim();
        this.buffer = this.buffer.slice(i + 1);
        if (line) this.frames.push(JSON.parse(line));
      }
    });
    child.stderr!.on("data", (d) => process.stderr.write(`[host ${workerId}] ${d}`));
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  static async start(workerId: string, hello: Json = { capacity: 1 }) {
    const url = `${s.url.replace(/^http/, "ws")}/api/v1/selfhosted/worker/ws?worker_id=${encodeURIComponent(workerId)}`;
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "test/e2e/host-process.ts"), url, s.key],
      { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
    );
    const host = new HostProcess(workerId, child);
    hosts.push(host);
    const welcome = await host.until(
      "welcome",
      (f) => f.type === "welcome" || f.type === "_refused",
    );
    expect(welcome.type).toBe("welcome");
    host.send("hello", hello);
    return host;
  }

  send(type: string, data: Json) {
    this.child.stdin!.write(`${JSON.stringify({ type, data })}\n`);
  }

  async until(what: string, pred: (f: Json) => boolean, timeoutMs = 15_000): Promise<Json> {
    let found: Json | undefined;
    const ok = await waitFor(() => !!(found = this.frames.find(pred)), timeoutMs, 20);
    if (!ok || !found)
      throw new Error(
        `host ${this.workerId}: no ${what} within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames).slice(0, 1500)}`,
      );
    return found;
  }

  assignedIds(): string[] {
    return this.frames.filter((f) => f.type === "task_assignment").map((f) => f.data.task_id);
  }

  /** Claims and starts a run it was assigned. */
  take(runId: string) {
    this.send("task_claimed", { task_id: runId });
    this.send("task_started", { task_id: runId });
  }

  /** SIGKILL: the process dies without closing its socket. */
  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

const createRun = async (body: Json) => {
  const res = await api(s.url, "POST", "/api/v1/agent/runs", { key: s.key, body });
  expect(res.status, res.text).toBe(200);
  return res.json.run_id as string;
};

const getRun = async (runId: string) =>
  (await api(s.url, "GET", `/api/v1/agent/runs/${runId}`, { key: s.key })).json as Json;

/** Polls the run until `pred` holds; returns it (or fails with its last state). */
async function untilRun(
  runId: string,
  pred: (r: Json) => boolean,
  timeoutMs = 15_000,
): Promise<Json> {
  let run: Json = {};
  const ok = await waitFor(async () => pred((run = await getRun(runId))), timeoutMs, 100);
  if (!ok)
    throw new Error(
      `run ${runId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify({ state: run.state, status_message: run.status_message })}`,
    );
  return run;
}

/** Waits until `n` connections of the pool `workerId` said hello (capacity > 0). */
async function untilHosts(workerId: string, n: number) {
  const ok = await waitFor(async () => {
    const res = await api(s.url, "GET", "/api/v1/hosts", { key: s.key });
    return (
      res.json.hosts.filter((h: Json) => h.worker_id === workerId && h.capacity > 0).length === n
    );
  }, 15_000);
  expect(ok, `${n} hosts of ${workerId}`).toBe(true);
}

describe("dispatch to hosts in other processes (wrangler dev)", () => {
  it("two hosts share the load", async () => {
    const a = await HostProcess.start("e2e-share", { capacity: 4 });
    const b = await HostProcess.start("e2e-share", { capacity: 4 });
    await untilHosts("e2e-share", 2);
    const runs: string[] = [];
    for (let i = 0; i < 8; i++)
      runs.push(await createRun({ prompt: `shared ${i}`, config: { worker_host: "e2e-share" } }));
    const all = await waitFor(() => a.assignedIds().length + b.assignedIds().length === 8, 20_000);
    expect(all, `assigned: a=${a.assignedIds().length} b=${b.assignedIds().length}`).toBe(true);
    expect(a.assignedIds()).toHaveLength(4);
    expect(b.assignedIds()).toHaveLength(4);
    expect(new Set([...a.assignedIds(), ...b.assignedIds()])).toEqual(new Set(runs));
    for (const h of [a, b]) {
      for (const id of h.assignedIds()) {
        h.take(id);
        h.send("task_completed", { task_id: id, message: `done by ${h.child.pid}` });
      }
    }
    for (const id of runs)
      expect((await untilRun(id, (r) => r.state === "SUCCEEDED")).state).toBe("SUCCEEDED");
    a.kill();
    b.kill();
  });

  it("a cancelled run's host receives task_cancellation, and the run ends CANCELLED when it confirms", async () => {
    const host = await HostProcess.start("e2e-cancel");
    await untilHosts("e2e-cancel", 1);
    const runId = await createRun({ prompt: "cancel me", config: { worker_host: "e2e-cancel" } });
    await host.until(
      "the assignment",
      (f) => f.type === "task_assignment" && f.data.task_id === runId,
    );
    host.take(runId);
    await untilRun(runId, (r) => r.state === "INPROGRESS");
    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/cancel`, { key: s.key });
    expect(res.status, res.text).toBe(200);
    const c = await host.until(
      "task_cancellation",
      (f) => f.type === "task_cancellation" && f.data.task_id === runId,
    );
    expect(c.data.reason).toMatch(/^cancelled by user /);
    host.send("task_completed", { task_id: runId, task_state: "CANCELLED", message: "stopped" });
    expect((await untilRun(runId, (r) => r.state === "CANCELLED")).status_message).toEqual({
      message: "stopped",
    });
    host.kill();
  });

  it(
    "a host killed mid-run (SIGKILL) leaves no run stuck: the unclaimed run goes to another host, the running one ends ERROR after the grace",
    async () => {
      const doomed = await HostProcess.start("e2e-kill", { capacity: 2 });
      await untilHosts("e2e-kill", 1);
      const running = await createRun({
        prompt: "in progress when the host dies",
        config: { worker_host: "e2e-kill" },
      });
      await doomed.until(
        "the first assignment",
        (f) => f.type === "task_assignment" && f.data.task_id === running,
      );
      doomed.take(running);
      await untilRun(running, (r) => r.state === "INPROGRESS");
      const offered = await createRun({
        prompt: "offered, never claimed",
        config: { worker_host: "e2e-kill" },
      });
      await doomed.until(
        "the second assignment",
        (f) => f.type === "task_assignment" && f.data.task_id === offered,
      );
      await untilRun(offered, (r) => r.state === "PENDING");

      const killedAt = Date.now();
      doomed.kill();
      await doomed.exited;
      // the run it had not claimed goes back in line at once...
      const requeued = await untilRun(offered, (r) => r.state === "QUEUED");
      expect(requeued.status_message.message).toMatch(/disconnected before claiming it/);
      // ...and to the next host of that worker id, while the held run waits out the grace
      const next = await HostProcess.start("e2e-kill");
      await next.until(
        "the requeued run",
        (f) => f.type === "task_assignment" && f.data.task_id === offered,
      );
      expect((await getRun(running)).state).toBe("INPROGRESS");

      const ended = await untilRun(
        running,
        (r) => r.state !== "INPROGRESS",
        LOST_AFTER_MS + 15_000,
      );
      const tookMs = Date.now() - killedAt;
      expect(ended.state).toBe("ERROR");
      expect(ended.status_message).toEqual({
        message: expect.stringMatching(
          /^Host e2e-kill stopped answering \(last heard at .+\) while it held this run/,
        ),
        error_code: "resource_unavailable",
        retryable: true,
      });
      expect(tookMs).toBeGreaterThanOrEqual(Number(TIMINGS.HOST_LOST_GRACE_MS) - 500); // the grace is honoured, not skipped
      expect(next.assignedIds()).toEqual([offered]); // a lost run in progress is never handed to another host
      next.kill();
    },
    LOST_AFTER_MS + 45_000,
  );
});
