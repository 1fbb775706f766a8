import type { TaskAssignment } from "@ambit/protocol";
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import {
  type HeldEntry,
  heldAll,
  hold,
  type LineEntry,
} from "../../durable-objects/host-pool/storage.ts";
import { hostPool } from "../../durable-objects/stubs.ts";
import { BASE, call, type Json } from "./api.ts";
import { RUNS } from "./runs.ts";
import { TestSocket } from "./sockets.ts";

export const HOST_WS = "/api/v1/selfhosted/worker/ws";
/** Runs created through the API reach their pool through the `RUNS` queue. */
export const DISPATCH_WAIT_MS = 8_000;

/** `GET /selfhosted/worker/ws` as a host sends it; the raw response (for refusals). */
export function hostRequest(workerId: string | undefined, key?: string, upgrade = true) {
  const headers: Record<string, string> = {};
  if (upgrade) headers.upgrade = "websocket";
  if (key) headers.authorization = `Bearer ${key}`;
  const q = workerId === undefined ? "" : `?worker_id=${encodeURIComponent(workerId)}`;
  return exports.default.fetch(new Request(`${BASE}${HOST_WS}${q}`, { headers }));
}

export type Hello = {
  capacity: number;
  labels?: string[];
  version?: string;
  clis?: { name: string; version: string; tested: string; in_tested_range: boolean }[];
  running?: { task_id: string }[];
};

/**
 * A scripted host on its pool socket: keeps every frame, answers nothing by itself, and has one
 * method per host message. Waits default to `DISPATCH_WAIT_MS` (assignments may come through the queue).
 */
export class TestHost extends TestSocket {
  /** Connects (asserting 101), waits for `welcome`, and says `hello` unless `hello` is false. */
  static async connect(key: string, workerId: string, hello: Hello | false = { capacity: 1 }) {
    const res = await hostRequest(workerId, key);
    expect(res.status, res.status === 101 ? "" : await res.text()).toBe(101);
    const host = new TestHost(res.webSocket!);
    await host.nth("welcome", 1);
    if (hello) host.hello(hello);
    return host;
  }

  get welcome() {
    return this.ofType("welcome")[0]?.data as {
      worker_id: string;
      connection_id: string;
      heartbeat_interval_ms: number;
    };
  }

  get connectionId() {
    return this.welcome.connection_id;
  }

  msg(type: string, data: Json = {}) {
    this.send({ type, data });
  }

  hello(h: Hello) {
    this.msg("hello", h);
  }

  claim(taskId: string) {
    this.msg("task_claimed", { task_id: taskId });
  }

  start(taskId: string) {
    this.msg("task_started", { task_id: taskId });
  }

  reject(taskId: string, reason = "not today") {
    this.msg("task_rejected", { task_id: taskId, reason });
  }

  complete(taskId: string, data: Json = {}) {
    this.msg("task_completed", { task_id: taskId, ...data });
  }

  fail(taskId: string, data: Json) {
    this.msg("task_failed", { task_id: taskId, ...data });
  }

  heartbeat() {
    this.msg("heartbeat", {});
  }

  /** Every assignment received so far, in order. */
  assignments(): TaskAssignment[] {
    return this.ofType("task_assignment").map((f) => f.data as TaskAssignment);
  }

  assignedIds() {
    return this.assignments().map((a) => a.task_id);
  }

  /** Waits for the n-th (1-based) assignment. */
  nthAssignment(n: number, timeoutMs = DISPATCH_WAIT_MS) {
    return this.until(`task_assignment #${n}`, () => this.assignments()[n - 1], timeoutMs);
  }

  /** Waits for an assignment of `runId` (the first one after the first `from` assignments). */
  assignmentOf(runId: string, from = 0, timeoutMs = DISPATCH_WAIT_MS) {
    return this.until(
      `task_assignment of ${runId}`,
      () =>
        this.assignments()
          .slice(from)
          .find((a) => a.task_id === runId),
      timeoutMs,
    );
  }

  /** Waits for the `task_cancellation` of `runId`. */
  cancellationOf(runId: string, timeoutMs = DISPATCH_WAIT_MS) {
    return this.until(
      `task_cancellation of ${runId}`,
      () => this.ofType("task_cancellation").find((f) => f.data.task_id === runId),
      timeoutMs,
    );
  }

  /** Assigned and claimed (CLAIMED), and started (INPROGRESS) unless `start` is false. */
  async take(key: string, runId: string, start = true) {
    await this.assignmentOf(runId);
    this.claim(runId);
    await untilRun(key, runId, (r) => r.state === "CLAIMED" || r.state === "INPROGRESS", "CLAIMED");
    if (start) {
      this.start(runId);
      await untilRun(key, runId, (r) => r.state === "INPROGRESS", "INPROGRESS");
    }
  }
}

/** The `HostPool` stub of a team's pool, named as the services name it. */
export const poolStub = (teamId: string, pool = "warp") => hostPool(env, teamId, pool);

/** The pool's durable line and held runs, read inside the object. */
export async function poolState(teamId: string, pool = "warp") {
  return runInDurableObject(poolStub(teamId, pool), (_: HostPool, state) => ({
    line: state.storage.sql
      .exec<LineEntry>("SELECT * FROM line ORDER BY enqueued_at, run_id")
      .toArray(),
    held: state.storage.sql.exec<HeldEntry>("SELECT * FROM held").toArray(),
  }));
}

/** The pool's connected hosts as its `hosts` RPC answers. */
export async function poolHosts(teamId: string, pool = "warp") {
  return poolStub(teamId, pool).hosts();
}

/**
 * Moves every held run's `lost_at` `ms` into the past, as if its host had gone that long ago:
 * through the pool's own writer of the holds, which keeps them in memory too.
 */
export async function backdateLost(teamId: string, pool: string, ms: number) {
  await runInDurableObject(poolStub(teamId, pool), (_: HostPool, state) => {
    const sql = state.storage.sql;
    for (const h of heldAll(sql))
      if (h.lost_at !== null) hold(sql, { ...h, lost_at: Date.now() - ms });
  });
}

/** Polls `GET /agent/runs/{id}` until `pred` holds; returns the run. */
export async function untilRun(
  key: string,
  runId: string,
  pred: (run: Json) => boolean,
  what = "the expected run",
  timeoutMs = DISPATCH_WAIT_MS,
) {
  const deadline = Date.now() + timeoutMs;
  let run: Json = {};
  for (;;) {
    const res = await call("GET", `${RUNS}/${runId}`, { key });
    expect(res.status, res.text).toBe(200);
    run = res.json;
    if (pred(run)) return run;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what} of run ${runId}; last: ${JSON.stringify({ state: run.state, status_message: run.status_message })}`,
      );
    await sleep(25);
  }
}

/** Polls `check` until it returns a truthy value. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false | null>,
  timeoutMs = DISPATCH_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
