// `npm run bench -- dispatch`: how fast a created run reaches a host. Latency: runs created one
// after another, each timed from `POST /agent/runs` answered to `task_assignment` received by an
// idle connected host. Throughput: runs/s dispatched to H hosts of capacity C doing no-op work.
// The same two measurements with BullMQ on a local redis-server, in the same run, are the
// baseline. Writes bench/results/dispatch-<timestamp>.json and prints a table. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import {
  bullmqLatency,
  bullmqThroughput,
  findRedisServer,
  type RedisServer,
  startRedis,
} from "./lib/bullmq-baseline.ts";
import { BenchHost } from "./lib/dispatch-hosts.ts";
import { cpuMeter, machineBusy, machineInfo, summary } from "./lib/fanout-stats.ts";
import { round } from "./lib/load.ts";
import { bounded, everySecond, log, sleep, until } from "./lib/progress.ts";
import { configWithBatchTimeout, runsQueueConsumer } from "./lib/queue-config.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";

/** The platform pool: runs without `config.worker_host` go there; hosts join it with `worker_id=warp`. */
const POOL = "warp";

export async function benchDispatch(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "500" },
      hosts: { type: "string", default: "4" },
      capacity: { type: "string", default: "8" },
      concurrency: { type: "string", default: "16" },
      "skip-unbatched": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const cfg = {
    runs: Number(o.runs),
    hosts: Number(o.hosts),
    capacity: Number(o.capacity),
    /** POST /agent/runs (and BullMQ adds) in flight at once in the throughput case */
    concurrency: Number(o.concurrency),
    pool: POOL,
    /** the team's limits.max_concurrent_runs, raised (PATCH /team) so it never gates hosts × capacity */
    team_max_concurrent_runs: Math.max(10, Number(o.hosts) * Number(o.capacity)),
    /** the RUNS queue consumer as wrangler.toml sets it (production settings, unchanged) */
    runs_queue_consumer: runsQueueConsumer(),
    /**
     * the latency case again on a server whose RUNS consumer has max_batch_timeout = 0 (a
     * bench-only copy of the config); needless while wrangler.toml itself says 0
     */
    unbatched_latency_case: !o["skip-unbatched"] && runsQueueConsumer().max_batch_timeout_s > 0,
  };
  for (const [k, v] of Object.entries({
    runs: cfg.runs,
    hosts: cfg.hosts,
    capacity: cfg.capacity,
    concurrency: cfg.concurrency,
  })) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`--${k} must be a positive integer (got ${v})`);
  }
  const state = benchState("dispatch", o.keep!);
  const { persistTo, vars } = state;
  let server: DevServer | undefined;
  let redis: RedisServer | undefined;
  let unbatchedConfig: { file: string; remove: () => void } | undefined;
  const hosts: BenchHost[] = [];
  state.onCleanup(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await server?.stop();
    await redis?.stop();
    unbatchedConfig?.remove();
  });
  const started = new Date();
  const info = machineInfo();
  const machine = {
    ...info,
    shared_machine:
      `the load generator, the hosts and the BullMQ workers (this Node process) and the server (wrangler dev's workerd, or redis-server) ` +
      `run on the same ${info.cpus}-core machine and compete for it; see cpu.* per case`,
    busy_pct_before: await machineBusy(),
  };
  if (machine.busy_pct_before > 20)
    log(
      `warning: the machine is already ${machine.busy_pct_before} % busy; the figures will be skewed (see cpu.other_cpu_pct)`,
    );
  try {
    // ── Ambit ──
    log(`state in ${persistTo}; applying migrations`);
    await applyMigrations(persistTo, { quiet: true });
    server = await startDevServer({ persistTo, vars, logLevel: "warn" });
    const signup = await signUp(server.url);
    const api = new Api(server.url, signup.api_key);
    const team = await json<{ limits: { max_concurrent_runs: number } }>(
      await api.call("PATCH", "/team", {
        limits: { max_concurrent_runs: cfg.team_max_concurrent_runs },
      }),
      200,
    );
    log(
      `wrangler dev on ${server.url}; signed up team ${signup.team.uid}; limits.max_concurrent_runs raised to ${team.limits.max_concurrent_runs}`,
    );
    const ctx = { api, hostUrl: poolSocketUrl(server.url), pgid: server.child.pid, hosts };

    const ambitLatency = await latencyCase(ctx, cfg);
    const ambitThroughput = await throughputCase(ctx, cfg);
    await server.stop();
    let ambitUnbatched = null;
    if (cfg.unbatched_latency_case) {
      // the same state and team, on a server whose RUNS consumer delivers each message at once
      unbatchedConfig = configWithBatchTimeout(0);
      server = await startDevServer({
        persistTo,
        vars,
        logLevel: "warn",
        extraArgs: ["--config", unbatchedConfig.file],
      });
      log(
        `wrangler dev on ${server.url} with the RUNS consumer's max_batch_timeout = 0 (${path.relative(ROOT, unbatchedConfig.file)})`,
      );
      const unbatchedCtx = {
        ...ctx,
        api: new Api(server.url, signup.api_key),
        hostUrl: poolSocketUrl(server.url),
        pgid: server.child.pid,
      };
      ambitUnbatched = await latencyCase(
        unbatchedCtx,
        { ...cfg, runs_queue_consumer: { ...cfg.runs_queue_consumer, max_batch_timeout_s: 0 } },
        "ambit latency, unbatched",
      );
      await server.stop();
    }
    // the server is stopped before the baseline runs, so it does not compete for the CPU

    // ── BullMQ ──
    const bin = findRedisServer();
    let bullmq = null;
    if (!bin) {
      log(
        "redis-server not found on PATH: skipping the BullMQ baseline (install it with `sudo apt-get install redis-server`)",
      );
    } else {
      redis = await startRedis(bin);
      log(
        `bullmq baseline: redis-server ${redis.version} on 127.0.0.1:${redis.port} (no persistence)`,
      );
      const latency = await bullmqLatency(redis, cfg.runs, cfg.capacity);
      log(`bullmq latency: p50 ${latency.latency_ms.p50} ms, p99 ${latency.latency_ms.p99} ms`);
      const throughput = await bullmqThroughput(
        redis,
        cfg.runs,
        cfg.hosts,
        cfg.capacity,
        cfg.concurrency,
      );
      log(
        `bullmq throughput: ${throughput.runs_per_sec} jobs/s to the last pickup (per worker ${throughput.picked_up_per_worker.join("/")})`,
      );
      bullmq = { redis_version: redis.version, latency, throughput };
      await redis.stop();
    }

    const ratio = (a: number | null, b: number | null | undefined) =>
      a === null || !b ? null : round(a / b, 1);
    const ratios = bullmq && {
      latency_p50: ratio(ambitLatency.latency_ms.p50, bullmq.latency.latency_ms.p50),
      latency_p99: ratio(ambitLatency.latency_ms.p99, bullmq.latency.latency_ms.p99),
      // from the request sent (POST / add) rather than answered
      from_request_p50: ratio(ambitLatency.from_request_ms.p50, bullmq.latency.from_request_ms.p50),
      from_request_p99: ratio(ambitLatency.from_request_ms.p99, bullmq.latency.from_request_ms.p99),
      // without the RUNS queue's batch wait (max_batch_timeout = 0), from the request sent: the
      // assignment often beats the POST's answer there, so answered → assignment is no measure
      unbatched_from_request_p50:
        ambitUnbatched &&
        ratio(ambitUnbatched.from_request_ms.p50, bullmq.latency.from_request_ms.p50),
      unbatched_from_request_p99:
        ambitUnbatched &&
        ratio(ambitUnbatched.from_request_ms.p99, bullmq.latency.from_request_ms.p99),
      runs_per_sec: round(ambitThroughput.runs_per_sec / bullmq.throughput.runs_per_sec, 4),
      server_cpu_ms_per_run: ratio(
        ambitThroughput.cpu.server_cpu_ms_per_run,
        bullmq.throughput.cpu.server_cpu_ms_per_job,
      ),
    };
    const report = {
      bench: "dispatch",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machine, loadavg_at_end: os.loadavg().map((x) => round(x)) },
      config: cfg,
      ambit: {
        latency: ambitLatency,
        throughput: ambitThroughput,
        latency_unbatched: ambitUnbatched,
      },
      bullmq: bullmq ?? {
        skipped: "redis-server not found on PATH (sudo apt-get install redis-server)",
      },
      // ambit ÷ bullmq: latency above 1 = Ambit slower; runs_per_sec below 1 = Ambit slower
      ratios,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `dispatch-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

    console.log(`\n${table(report.ambit, bullmq)}\n`);
    if (ratios) {
      console.log(
        `ambit ÷ bullmq: latency p50 × ${ratios.latency_p50}, p99 × ${ratios.latency_p99}` +
          `; from the request sent p50 × ${ratios.from_request_p50}, p99 × ${ratios.from_request_p99}` +
          (ambitUnbatched
            ? ` (unbatched: p50 × ${ratios.unbatched_from_request_p50}, p99 × ${ratios.unbatched_from_request_p99})`
            : "") +
          `; runs/s × ${ratios.runs_per_sec}; server cpu per run × ${ratios.server_cpu_ms_per_run}`,
      );
    }
    const q = cfg.runs_queue_consumer;
    console.log(
      q.max_batch_timeout_s > 0
        ? `the RUNS queue delivers a batch when it holds ${q.max_batch_size} messages or ${q.max_batch_timeout_s} s after the first (wrangler.toml): ` +
            `a lone run waits the whole timeout, so the latency p50 is ~${q.max_batch_timeout_s * 1000} ms of batching plus at least ${ambitLatency.latency_minus_batch_timeout_ms.p50} ms of dispatch` +
            (ambitUnbatched
              ? `; with max_batch_timeout = 0 the host has the run ${ambitUnbatched.from_request_ms.p50} ms (p50) after the POST is sent, the POST itself answers in ${ambitUnbatched.post_ms.p50} ms.`
              : ".")
        : `the RUNS queue delivers each message at once (max_batch_timeout = 0 in wrangler.toml): the host has the run ${ambitLatency.from_request_ms.p50} ms (p50) after the POST is sent.`,
    );
    console.log(
      `machine: ${machine.cpus} × ${machine.cpu_model}, node ${machine.node}, load average ${machine.loadavg_at_start[0]} at start, ` +
        `${report.machine.loadavg_at_end[0]} at end; busy ${machine.busy_pct_before} % before. Hosts, workers and the load generator share these cores with the server.\n` +
        `results: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

type Cfg = {
  runs: number;
  hosts: number;
  capacity: number;
  concurrency: number;
  runs_queue_consumer: { max_batch_size: number; max_batch_timeout_s: number };
};
type Ctx = { api: Api; hostUrl: string; pgid: number | undefined; hosts: BenchHost[] };

/** One idle host; runs created one after another, each waited for until the host has it. */
async function latencyCase(ctx: Ctx, cfg: Cfg, label = "ambit latency") {
  const host = new BenchHost("latency", cfg.capacity);
  ctx.hosts.push(host);
  await host.connect(ctx.hostUrl, ctx.api.key);
  await untilHosts(ctx.api, 1);
  const succeededBefore = (await countSucceeded(ctx.api)).count;
  const waiters = new Map<string, (at: number) => void>();
  host.onAssigned((id, at) => waiters.get(id)?.(at));
  const latencies: number[] = [];
  const fromRequest: number[] = [];
  const postMs: number[] = [];
  let atCapacity = 0;
  log(
    `latency: 1 host of capacity ${cfg.capacity} in pool ${POOL}; ${cfg.runs} runs, one after another`,
  );
  const stopProgress = everySecond(
    () =>
      `  ${label}: ${latencies.length}/${cfg.runs} runs assigned; last ${latencies.length ? round(latencies.at(-1)!) : "-"} ms`,
  );
  const cpu = cpuMeter(ctx.pgid);
  try {
    for (let i = 0; i < cfg.runs; i++) {
      const t0 = performance.now();
      const run = await ctx.api.createRun(`dispatch bench: latency ${i}`);
      const answered = performance.now();
      if (run.at_capacity) atCapacity++;
      const at =
        host.assignedAt.get(run.run_id) ??
        (await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`run ${run.run_id} was not assigned within 30 s`)),
            30_000,
          );
          waiters.set(run.run_id, (t) => (clearTimeout(timer), resolve(t)));
        }));
      waiters.delete(run.run_id);
      postMs.push(answered - t0);
      latencies.push(at - answered);
      fromRequest.push(at - t0);
    }
  } finally {
    stopProgress();
  }
  const usage = cpu();
  const succeeded = await waitSucceeded(ctx.api, cfg.runs, succeededBefore);
  await host.close();
  ctx.hosts.splice(ctx.hosts.indexOf(host), 1);
  const batchMs = cfg.runs_queue_consumer.max_batch_timeout_s * 1000;
  const result = {
    runs: cfg.runs,
    host_capacity: cfg.capacity,
    runs_queue_max_batch_timeout_s: cfg.runs_queue_consumer.max_batch_timeout_s,
    // POST answered → task_assignment received (negative: the host had the run before its creator heard back)
    latency_ms: summary(latencies),
    // POST sent → task_assignment received
    from_request_ms: summary(fromRequest),
    // what is left once the queue's batch timeout (every lone message waits it out) is taken off
    latency_minus_batch_timeout_ms: summary(latencies.map((l) => l - batchMs)),
    post_ms: summary(postMs),
    at_capacity_answers: atCapacity,
    duplicate_assignments: host.duplicates,
    succeeded: succeeded.count,
    host_errors: host.errors.slice(0, 5),
    host_closed_early: host.closedEarly,
    cpu: { ...usage, server_cpu_ms_per_run: round((1000 * usage.server_cpu_s) / cfg.runs, 2) },
  };
  log(
    `${label}: p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms (POST p50 ${result.post_ms.p50} ms); ${succeeded.count}/${cfg.runs} SUCCEEDED`,
  );
  return result;
}

/** H hosts of capacity C; runs created with `concurrency` POSTs in flight; runs/s to the last assignment. */
async function throughputCase(ctx: Ctx, cfg: Cfg) {
  const hosts = Array.from(
    { length: cfg.hosts },
    (_, k) => new BenchHost(`h${k + 1}`, cfg.capacity),
  );
  ctx.hosts.push(...hosts);
  await Promise.all(hosts.map((h) => h.connect(ctx.hostUrl, ctx.api.key)));
  await untilHosts(ctx.api, cfg.hosts);
  const succeededBefore = (await countSucceeded(ctx.api)).count;
  const assignedAt = new Map<string, number>();
  for (const h of hosts) h.onAssigned((id, at) => assignedAt.has(id) || assignedAt.set(id, at));
  const answeredAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  const postMs: number[] = [];
  let atCapacity = 0;
  log(
    `throughput: ${cfg.hosts} hosts × capacity ${cfg.capacity} in pool ${POOL}; ${cfg.runs} runs, ${cfg.concurrency} POSTs in flight`,
  );
  const stopProgress = everySecond(
    () =>
      `  ambit throughput: created ${answeredAt.size}/${cfg.runs}, assigned ${assignedAt.size} (${hosts.map((h) => h.assignments).join("/")})`,
  );
  const cpu = cpuMeter(ctx.pgid);
  const start = performance.now();
  let lastPost = start;
  try {
    await bounded(cfg.runs, cfg.concurrency, async (i) => {
      const t0 = performance.now();
      const run = await ctx.api.createRun(`dispatch bench: throughput ${i}`);
      lastPost = performance.now();
      postMs.push(lastPost - t0);
      answeredAt.set(run.run_id, lastPost);
      sentAt.set(run.run_id, t0);
      if (run.at_capacity) atCapacity++;
    });
    // every run assigned; give up after 60 s without a new assignment
    for (let last = -1, lastAt = performance.now(); assignedAt.size < cfg.runs; await sleep(10)) {
      if (assignedAt.size !== last) [last, lastAt] = [assignedAt.size, performance.now()];
      else if (performance.now() - lastAt > 60_000) break;
    }
  } finally {
    stopProgress();
  }
  const usage = cpu();
  if (!assignedAt.size)
    throw new Error(
      `none of the ${cfg.runs} runs was assigned within 60 s of the last POST; hosts' errors: ${
        hosts
          .flatMap((h) => h.errors)
          .slice(0, 3)
          .join("; ") || "none"
      }`,
    );
  const lastAssignment = Math.max(...assignedAt.values());
  const seconds = (lastAssignment - start) / 1000;
  // then, polled: when the platform had recorded every run SUCCEEDED (the hosts' completions)
  const succeeded = await waitSucceeded(ctx.api, cfg.runs, succeededBefore);
  const toSucceeded = succeeded.at === null ? null : (succeeded.at - start) / 1000;
  const perSecond: number[] = [];
  for (const at of assignedAt.values())
    perSecond[Math.floor((at - start) / 1000)] =
      (perSecond[Math.floor((at - start) / 1000)] ?? 0) + 1;
  const perHost = hosts.map((h) => h.assignments);
  const queueing = [...sentAt]
    .filter(([id]) => assignedAt.has(id))
    .map(([id, t]) => assignedAt.get(id)! - t);
  await Promise.all(hosts.map((h) => h.close()));
  const result = {
    runs: cfg.runs,
    hosts: cfg.hosts,
    host_capacity: cfg.capacity,
    posts_in_flight: cfg.concurrency,
    assigned: assignedAt.size,
    create_seconds: round((lastPost - start) / 1000, 3),
    creates_per_sec: round(cfg.runs / ((lastPost - start) / 1000)),
    to_last_assignment_seconds: round(seconds, 3),
    runs_per_sec: round(assignedAt.size / seconds),
    // polled every 250 ms after the last assignment: a bound, not an exact time
    to_all_succeeded_seconds: toSucceeded === null ? null : round(toSucceeded, 2),
    succeeded_per_sec: toSucceeded === null ? null : round(cfg.runs / toSucceeded),
    succeeded: succeeded.count,
    assignments_per_host: perHost,
    fairness_min_over_max: round(Math.min(...perHost) / Math.max(...perHost)),
    assignments_by_second: Array.from(perSecond, (x) => x ?? 0),
    duplicate_assignments: hosts.reduce((s, h) => s + h.duplicates, 0),
    // POST sent → assignment, under load (includes waiting behind earlier runs)
    queueing_ms: summary(queueing),
    post_ms: summary(postMs),
    at_capacity_answers: atCapacity,
    host_errors: hosts.flatMap((h) => h.errors).slice(0, 5),
    hosts_closed_early: hosts.filter((h) => h.closedEarly).length,
    cpu: { ...usage, server_cpu_ms_per_run: round((1000 * usage.server_cpu_s) / cfg.runs, 2) },
  };
  for (const h of hosts) ctx.hosts.splice(ctx.hosts.indexOf(h), 1);
  log(
    `ambit throughput: ${result.runs_per_sec} runs/s to the last assignment (${result.assigned}/${cfg.runs} in ${result.to_last_assignment_seconds} s; per host ${perHost.join("/")}); ` +
      `${succeeded.count} SUCCEEDED after ${result.to_all_succeeded_seconds ?? "-"} s; server ${usage.server_cpu_pct} % cpu, other ${usage.other_cpu_pct} %`,
  );
  return result;
}

type LatencyResult = Awaited<ReturnType<typeof latencyCase>>;
type ThroughputResult = Awaited<ReturnType<typeof throughputCase>>;
type Bull = {
  redis_version: string;
  latency: Awaited<ReturnType<typeof bullmqLatency>>;
  throughput: Awaited<ReturnType<typeof bullmqThroughput>>;
} | null;

function table(
  ambit: {
    latency: LatencyResult;
    throughput: ThroughputResult;
    latency_unbatched: LatencyResult | null;
  },
  bullmq: Bull,
) {
  const pad = (s: unknown, n: number) => String(s ?? "-").padStart(n);
  type L = { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  const lat = (name: string, l: L, r: L, enqueue: number | null, cpuMs: number, other: number) =>
    `${name.padEnd(12)}${pad(l.p50, 10)}${pad(l.p90, 10)}${pad(l.p99, 10)}${pad(l.max, 10)}${pad(r.p50, 11)}${pad(r.p99, 11)}${pad(enqueue, 13)}${pad(cpuMs, 16)}${pad(other, 12)}`;
  const latHead =
    `${"latency".padEnd(12)}${pad("p50 ms", 10)}${pad("p90 ms", 10)}${pad("p99 ms", 10)}${pad("max ms", 10)}${pad("req→ p50", 11)}${pad("req→ p99", 11)}` +
    `${pad("enqueue p50", 13)}${pad("srv cpu ms/run", 16)}${pad("other cpu%", 12)}`;
  const al = ambit.latency;
  const latRows = [
    lat(
      "ambit",
      al.latency_ms,
      al.from_request_ms,
      al.post_ms.p50,
      al.cpu.server_cpu_ms_per_run,
      al.cpu.other_cpu_pct,
    ),
  ];
  const au = ambit.latency_unbatched;
  if (au)
    latRows.push(
      lat(
        "ambit t=0",
        au.latency_ms,
        au.from_request_ms,
        au.post_ms.p50,
        au.cpu.server_cpu_ms_per_run,
        au.cpu.other_cpu_pct,
      ),
    );
  if (bullmq)
    latRows.push(
      lat(
        "bullmq",
        bullmq.latency.latency_ms,
        bullmq.latency.from_request_ms,
        bullmq.latency.add_ms.p50,
        bullmq.latency.cpu.server_cpu_ms_per_job,
        bullmq.latency.cpu.other_cpu_pct,
      ),
    );
  const thr = (
    name: string,
    perSec: number,
    seconds: number,
    created: number,
    done: number | null,
    perHost: number[],
    queueP50: number | null,
    cpuMs: number,
    other: number,
  ) =>
    `${name.padEnd(12)}${pad(perSec, 10)}${pad(seconds, 10)}${pad(created, 12)}${pad(done, 12)}${pad(perHost.join("/"), 18)}${pad(queueP50, 12)}${pad(cpuMs, 16)}${pad(other, 12)}`;
  const thrHead = `${"throughput".padEnd(12)}${pad("runs/s", 10)}${pad("seconds", 10)}${pad("enqueued/s", 12)}${pad("done/s", 12)}${pad("per host", 18)}${pad("req→ p50", 12)}${pad("srv cpu ms/run", 16)}${pad("other cpu%", 12)}`;
  const at = ambit.throughput;
  const thrRows = [
    thr(
      "ambit",
      at.runs_per_sec,
      at.to_last_assignment_seconds,
      at.creates_per_sec,
      at.succeeded_per_sec,
      at.assignments_per_host,
      at.queueing_ms.p50,
      at.cpu.server_cpu_ms_per_run,
      at.cpu.other_cpu_pct,
    ),
  ];
  if (bullmq) {
    const b = bullmq.throughput;
    thrRows.push(
      thr(
        "bullmq",
        b.runs_per_sec,
        b.to_last_pickup_seconds,
        b.adds_per_sec,
        b.completed_per_sec,
        b.picked_up_per_worker,
        b.queueing_ms.p50,
        b.cpu.server_cpu_ms_per_job,
        b.cpu.other_cpu_pct,
      ),
    );
  }
  return [
    latHead,
    "-".repeat(latHead.length),
    ...latRows,
    "",
    thrHead,
    "-".repeat(thrHead.length),
    ...thrRows,
  ].join("\n");
}

export const poolSocketUrl = (serverUrl: string) =>
  `${serverUrl.replace(/^http/, "ws")}/api/v1/selfhosted/worker/ws?worker_id=${POOL}`;

/** The team's API, with the owner's key. */
export class Api {
  readonly url: string;
  readonly key: string;

  constructor(url: string, key: string) {
    this.url = url;
    this.key = key;
  }

  call(method: string, route: string, body?: unknown) {
    return fetch(`${this.url}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async createRun(prompt: string) {
    return json<{ run_id: string; at_capacity?: boolean }>(
      await this.call("POST", "/agent/runs", { prompt }),
      200,
    );
  }
}

/** Waits until `n` host connections of the pool said hello (capacity > 0). */
export async function untilHosts(api: Api, n: number) {
  await until(
    async () =>
      (
        await json<{ hosts: { worker_id: string; capacity: number }[] }>(
          await api.call("GET", "/hosts"),
          200,
        )
      ).hosts.filter((h) => h.worker_id === POOL && h.capacity > 0).length === n,
    15_000,
    `${n} host(s) in pool ${POOL}`,
    100,
  );
}

/** The team's SUCCEEDED runs (every page of `GET /agent/runs?state=SUCCEEDED`). */
export async function countSucceeded(api: Api) {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await json<{
      runs: { run_id: string }[];
      page_info: { has_next_page: boolean; next_cursor?: string };
    }>(
      await api.call(
        "GET",
        `/agent/runs?state=SUCCEEDED&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      ),
      200,
    );
    for (const r of page.runs) ids.add(r.run_id);
    cursor = page.page_info.has_next_page ? page.page_info.next_cursor : undefined;
  } while (cursor);
  return { count: ids.size };
}

/** Polls every 250 ms until `n` more runs than `before` are SUCCEEDED (or 30 s pass without progress). */
async function waitSucceeded(
  api: Api,
  n: number,
  before: number,
): Promise<{ count: number; at: number | null }> {
  let count = 0;
  for (let lastAt = performance.now(), last = -1; ; await sleep(250)) {
    count = (await countSucceeded(api)).count - before;
    if (count >= n) return { count, at: performance.now() };
    if (count !== last) [last, lastAt] = [count, performance.now()];
    else if (performance.now() - lastAt > 30_000) return { count, at: null };
  }
}
