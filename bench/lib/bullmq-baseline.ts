// The baseline of the dispatch benchmark: the same two measurements with BullMQ on a local
// `redis-server` (Debian's package), started on a free port without persistence in a temp dir.
// Latency: a job added, one after another, until a worker's processor has it in hand.
// Throughput: jobs added with bounded concurrency, picked up by W workers of concurrency C, no-op.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Job, Queue, Worker } from "bullmq";
import { freePort } from "../../scripts/lib/wrangler-dev.ts";
import { cpuMeter, summary } from "./fanout-stats.ts";
import { round } from "./load.ts";
import { bounded, everySecond, sleep, until } from "./progress.ts";

/** The `redis-server` binary on PATH, or null. */
export function findRedisServer(): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, "redis-server");
    if (dir && existsSync(file)) return file;
  }
  return null;
}

export type RedisServer = { port: number; pid: number; version: string; stop: () => Promise<void> };

/** Starts `redis-server` on 127.0.0.1 and a free port, no RDB snapshots, no AOF, in a temp dir. */
export async function startRedis(bin: string): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ambit-bench-redis-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "warning",
    ],
    {
      cwd: dir,
      detached: true, // its own process group, so the CPU meter can find it
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (exited !== undefined) return done();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(timer);
        done();
      });
      child.kill("SIGTERM");
    });
  const { default: Redis } = await import("ioredis");
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (exited !== undefined)
      throw new Error(`redis-server exited (${exited}) before it was ready:\n${out}`);
    const client = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      const info = await client.info("server");
      client.disconnect();
      return {
        port,
        pid: child.pid!,
        version: /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown",
        stop,
      };
    } catch {
      client.disconnect();
      if (performance.now() > deadline) {
        await stop();
        throw new Error(`redis-server did not answer on port ${port} within 10 s:\n${out}`);
      }
      await sleep(50);
    }
  }
}

type Connection = { host: string; port: number };

/** `n` jobs added one after another, each waited for until a worker (concurrency `capacity`) picks it up. */
export async function bullmqLatency(redis: RedisServer, n: number, capacity: number) {
  const connection: Connection = { host: "127.0.0.1", port: redis.port };
  const name = "bench-latency";
  const queue = new Queue(name, { connection });
  const waiting = new Map<string, (at: number) => void>();
  const worker = new Worker(
    name,
    async (job: Job) => {
      const at = performance.now();
      waiting.get(job.id!)?.(at);
    },
    { connection, concurrency: capacity },
  );
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  const latencies: number[] = [];
  const fromRequest: number[] = [];
  const addMs: number[] = [];
  const stopProgress = everySecond(
    () => `  bullmq latency: ${latencies.length}/${n} jobs picked up`,
  );
  const cpu = cpuMeter(redis.pid);
  try {
    for (let i = 0; i < n; i++) {
      const id = `l${i}`;
      const picked = new Promise<number>((resolve) => waiting.set(id, resolve));
      const t0 = performance.now();
      await queue.add("noop", { i }, { jobId: id });
      const answered = performance.now();
      const at = await withTimeout(picked, 10_000, `job ${id} to be picked up`);
      waiting.delete(id);
      addMs.push(answered - t0);
      latencies.push(at - answered);
      fromRequest.push(at - t0);
    }
  } finally {
    stopProgress();
  }
  const usage = cpu();
  await worker.close();
  await queue.close();
  return {
    jobs: n,
    worker_concurrency: capacity,
    // add answered → processor called
    latency_ms: summary(latencies),
    // add called → processor called
    from_request_ms: summary(fromRequest),
    add_ms: summary(addMs),
    cpu: { ...usage, server_cpu_ms_per_job: round((1000 * usage.server_cpu_s) / n, 3) },
  };
}

/** `n` jobs added with `inFlight` adds at a time, picked up by `workers` workers of concurrency `capacity`. */
export async function bullmqThroughput(
  redis: RedisServer,
  n: number,
  workers: number,
  capacity: number,
  inFlight: number,
) {
  const connection: Connection = { host: "127.0.0.1", port: redis.port };
  const name = "bench-throughput";
  const queue = new Queue(name, { connection });
  const pickedBy = Array.from({ length: workers }, () => 0);
  let picked = 0;
  let completed = 0;
  let lastPickup = 0;
  let lastCompleted = 0;
  const sentAt = new Map<string, number>();
  const pickedAt = new Map<string, number>();
  const pool = pickedBy.map((_, w) => {
    const worker = new Worker(
      name,
      async (job: Job) => {
        const at = performance.now();
        picked++;
        pickedBy[w]++;
        lastPickup = at;
        pickedAt.set(job.id!, at);
      },
      { connection, concurrency: capacity },
    );
    worker.on("completed", () => {
      completed++;
      lastCompleted = performance.now();
    });
    return worker;
  });
  await Promise.all([queue.waitUntilReady(), ...pool.map((w) => w.waitUntilReady())]);
  let added = 0;
  const stopProgress = everySecond(
    () => `  bullmq throughput: added ${added}/${n}, picked up ${picked}, completed ${completed}`,
  );
  const cpu = cpuMeter(redis.pid);
  const start = performance.now();
  let lastAdded = start;
  try {
    await bounded(n, inFlight, async (i) => {
      const id = `t${i}`;
      sentAt.set(id, performance.now());
      await queue.add("noop", { i }, { jobId: id });
      lastAdded = performance.now();
      added++;
    });
    await until(
      () => completed >= n,
      60_000,
      `${n} jobs to complete (picked up ${picked}, completed ${completed})`,
      5,
    );
  } finally {
    stopProgress();
  }
  const usage = cpu();
  await Promise.all(pool.map((w) => w.close()));
  await queue.close();
  const toPickup = (lastPickup - start) / 1000;
  const queueing = [...pickedAt].map(([id, at]) => at - sentAt.get(id)!);
  return {
    jobs: n,
    workers,
    worker_concurrency: capacity,
    adds_in_flight: inFlight,
    add_seconds: round((lastAdded - start) / 1000, 3),
    adds_per_sec: round(n / ((lastAdded - start) / 1000)),
    to_last_pickup_seconds: round(toPickup, 3),
    to_last_completed_seconds: round((lastCompleted - start) / 1000, 3),
    runs_per_sec: round(n / toPickup),
    completed_per_sec: round(n / ((lastCompleted - start) / 1000)),
    picked_up_per_worker: pickedBy,
    // add called → pickup, under load (includes waiting behind earlier jobs)
    queueing_ms: summary(queueing),
    cpu: { ...usage, server_cpu_ms_per_job: round((1000 * usage.server_cpu_s) / n, 3) },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
