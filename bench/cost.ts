// `npm run bench -- cost`: the billable operations one no-op run causes, counted by the Worker's own
// meter (src/lib/meter.ts, on with the var AMBIT_METER=1), and priced with Cloudflare's published
// Workers Paid prices into a cost per 1,000 runs. Each run lives as in `bench dispatch`: created
// with POST /agent/runs, offered to a host of the platform pool, claimed, started and completed.
// Writes bench/results/cost-<timestamp>.json and prints a table. See bench/README.md.
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
import { Api, countSucceeded, poolSocketUrl, untilHosts } from "./dispatch.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { BenchHost } from "./lib/dispatch-hosts.ts";
import { cpuMeter, machineBusy, machineInfo, summary } from "./lib/fanout-stats.ts";
import { round } from "./lib/load.ts";
import { bounded, log, sleep, until } from "./lib/progress.ts";
import { DEFAULT_ISOLATES, startProfiles } from "./lib/v8-profile.ts";

/**
 * Workers Paid list prices, USD per unit, beyond the plan's monthly inclusions (which this bench
 * leaves out: it prices the margin). Read on 7 December 2026 from:
 * - https://developers.cloudflare.com/workers/platform/pricing/ (requests, CPU time)
 * - https://developers.cloudflare.com/d1/platform/pricing/
 * - https://developers.cloudflare.com/durable-objects/platform/pricing/ (an RPC call or fetch is
 *   one request, an alarm one, incoming websocket messages 20:1; duration at 128 MB)
 * - https://developers.cloudflare.com/queues/platform/pricing/ (an operation per 64 KB written,
 *   read or deleted: a message delivered once is 3)
 * - https://developers.cloudflare.com/kv/platform/pricing/
 * - https://developers.cloudflare.com/r2/pricing/
 */
export const PRICES = {
  read_on: "2026-12-07",
  worker_request: 0.3 / 1e6,
  worker_cpu_ms: 0.02 / 1e6,
  d1_row_read: 0.001 / 1e6,
  d1_row_written: 1.0 / 1e6,
  do_request: 0.15 / 1e6,
  do_gb_s: 12.5 / 1e6,
  // SQLite-backed objects' storage, billed since January 2026 (SQL and the synchronous KV alike)
  do_row_read: 0.001 / 1e6,
  do_row_written: 1.0 / 1e6,
  do_memory_gb: 128 / 1024,
  do_ws_messages_per_request: 20,
  queue_operation: 0.4 / 1e6,
  kv_read: 0.5 / 1e6,
  kv_write: 5.0 / 1e6, // writes, deletes and lists alike
  r2_class_a: 4.5 / 1e6,
  r2_class_b: 0.36 / 1e6,
};

type Counts = Record<string, number>;

export async function benchCost(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "200" },
      rounds: { type: "string", default: "3" },
      warmup: { type: "string", default: "20" },
      concurrency: { type: "string", default: "4" },
      capacity: { type: "string", default: "8" },
      quiet: { type: "string", default: "3000" },
      profile: { type: "boolean", default: false },
      "profile-interval-us": { type: "string", default: "250" },
      "profile-isolates": { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  const cfg = {
    runs: Number(o.runs),
    rounds: Number(o.rounds),
    warmup: Number(o.warmup),
    concurrency: Number(o.concurrency),
    capacity: Number(o.capacity),
    /** a round ends once the meter has not moved for this long (ms): the queued work is done */
    quiet_ms: Number(o.quiet),
    /** one more round of `runs`, with V8's profiler on in the chosen isolates (lib/v8-profile.ts) */
    profile: o.profile!,
    profile_interval_us: Number(o["profile-interval-us"]),
    profile_isolates: o["profile-isolates"] ?? DEFAULT_ISOLATES.source,
  };
  const state = benchState("cost", o.keep!);
  // the meter on; heartbeats out of the window (a host's, not a run's, and every 10 s by default)
  const vars = { ...state.vars, AMBIT_METER: "1", HOST_HEARTBEAT_MS: "3600000" };
  let server: DevServer | undefined;
  let host: BenchHost | undefined;
  state.onCleanup(async () => {
    await host?.close();
    await server?.stop();
  });
  const started = new Date();
  const machine = { ...machineInfo(), busy_pct_before: await machineBusy() };
  try {
    await applyMigrations(state.persistTo, { quiet: true });
    const serverStartedAt = Date.now();
    server = await startDevServer({ persistTo: state.persistTo, vars, logLevel: "warn" });
    const signup = await signUp(server.url);
    const api = new Api(server.url, signup.api_key);
    await json(await api.call("PATCH", "/team", { limits: { max_concurrent_runs: 50 } }), 200);
    const meter = async () => json<Counts>(await fetch(`${server!.url}/api/__meter`), 200);
    if (!("worker.fetch" in (await meter())))
      throw new Error("the server's meter is off: AMBIT_METER=1 did not reach the Worker");
    host = new BenchHost("cost", cfg.capacity);
    await host.connect(poolSocketUrl(server.url), signup.api_key);
    await untilHosts(api, 1);
    log(`wrangler dev on ${server.url}; 1 host of capacity ${cfg.capacity}; meter on`);

    const live = async (n: number, label: string) => {
      const before = host!.assignedAt.size;
      await bounded(n, cfg.concurrency, async (i) => {
        await api.createRun(`cost bench: ${label} ${i}`);
      });
      await until(() => host!.assignedAt.size >= before + n, 60_000, `${n} runs assigned`, 20);
    };
    await live(cfg.warmup, "warm-up");
    await settle(meter, cfg.quiet_ms);

    const rounds = [];
    for (let r = 0; r < cfg.rounds; r++) {
      const succeededBefore = (await countSucceeded(api)).count;
      const m0 = await meter();
      const cpu = cpuMeter(server.child.pid);
      const t0 = performance.now();
      await live(cfg.runs, `round ${r}`);
      const { counts: m1, cpu: usage } = await settle(meter, cfg.quiet_ms, cpu);
      const seconds = (performance.now() - t0) / 1000;
      const succeeded = (await countSucceeded(api)).count - succeededBefore;
      const perRun = diff(m0, m1, cfg.runs);
      const cpuMs = round((1000 * usage.server_cpu_s) / cfg.runs, 2);
      rounds.push({
        per_run: perRun,
        server_cpu_ms_per_run: cpuMs,
        server_cpu_ms_per_run_by_process: byProcess(usage, cfg.runs),
        succeeded,
        seconds,
        cpu: usage,
      });
      log(
        `round ${r + 1}/${cfg.rounds}: ${succeeded}/${cfg.runs} SUCCEEDED; server cpu ${cpuMs} ms/run; ` +
          `D1 ${perRun["d1.round_trips"] ?? 0} round trips, ${perRun["d1.rows_read"] ?? 0} rows read, ` +
          `${perRun["d1.rows_written"] ?? 0} written; other cpu ${usage.other_cpu_pct} %`,
      );
    }
    let profile = null;
    if (cfg.profile) {
      // a round of its own: the profiler's sampling costs CPU, which the rounds above leave out
      const profiler = await startProfiles({
        pgid: server.child.pid!,
        inspectorPort: server.inspectorPort,
        startedAt: serverStartedAt,
        intervalUs: cfg.profile_interval_us,
        isolates: new RegExp(cfg.profile_isolates),
      });
      const cpu = cpuMeter(server.child.pid);
      await live(cfg.runs, "profiled");
      const { cpu: usage } = await settle(meter, cfg.quiet_ms, cpu);
      const sampled = await profiler.stop(cfg.runs);
      profile = {
        ...sampled,
        /** the profiled round's process CPU (the profiler's own cost included) */
        server_cpu_ms_per_run: round((1000 * usage.server_cpu_s) / cfg.runs, 2),
        server_cpu_ms_per_run_by_process: byProcess(usage, cfg.runs),
      };
      log(
        `profiled round: server cpu ${profile.server_cpu_ms_per_run} ms/run ` +
          `(${JSON.stringify(profile.server_cpu_ms_per_run_by_process)}); sampled in isolates ` +
          `${sampled.sampled_ms_per_unit} ms/run, the Worker's ${sampled.worker.ms_per_unit} ` +
          `(${sampled.worker.without_meter_ms_per_unit} without the meter; requests, consumers and ` +
          `Durable Objects): ${JSON.stringify(sampled.worker.by_kind_ms_per_unit)}`,
      );
    }
    const perRun = mean(rounds.map((r) => r.per_run));
    const cpuMs = summary(rounds.map((r) => r.server_cpu_ms_per_run));
    const priced = price(perRun, cpuMs.p50 ?? 0);
    const report = {
      bench: "cost",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machine, loadavg_at_end: os.loadavg().map((x) => round(x)) },
      config: cfg,
      prices: PRICES,
      /** every counter of the meter, per run (mean of the rounds) */
      per_run: perRun,
      server_cpu_ms_per_run: cpuMs,
      /** billable units and USD per 1,000 runs */
      per_1000_runs: priced,
      rounds,
      /** with --profile: V8 samples per isolate, source file and function, per run */
      profile,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `cost-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\n${table(priced)}\n`);
    console.log(
      `server cpu per run (local wrangler dev, every process): p50 ${cpuMs.p50} ms over ${cfg.rounds} rounds ` +
        `(${rounds.map((r) => r.server_cpu_ms_per_run).join(", ")})\nresults: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

/**
 * Polls the meter until it has not moved for `quietMs`: the queued work of the runs (consumers,
 * alarms, event fan-out) is done. With a CPU meter, its reading at the poll that first saw the
 * final counts (the idle wait after it is not the runs' CPU).
 */
async function settle(
  meter: () => Promise<Counts>,
  quietMs: number,
  cpu?: () => ReturnType<ReturnType<typeof cpuMeter>>,
) {
  let last = JSON.stringify(await meter());
  let usage = cpu?.();
  for (let since = performance.now(); performance.now() - since < quietMs; ) {
    await sleep(250);
    const now = await meter();
    const s = JSON.stringify(now);
    if (s !== last) [last, since, usage] = [s, performance.now(), cpu?.()];
  }
  return { counts: JSON.parse(last) as Counts, cpu: usage! };
}

/** CPU ms per run of each of wrangler dev's processes (the runtime workerd, its proxy, Node). */
function byProcess(usage: ReturnType<ReturnType<typeof cpuMeter>>, runs: number) {
  return Object.fromEntries(
    Object.entries(usage.server_cpu_pct_by_process).map(([k, pct]) => [
      k,
      round(((pct / 100) * usage.wall_s * 1000) / runs, 2),
    ]),
  );
}

function diff(a: Counts, b: Counts, n: number): Counts {
  const out: Counts = {};
  for (const k of Object.keys(b).sort()) {
    const d = b[k] - (a[k] ?? 0);
    if (d) out[k] = round(d / n, 3);
  }
  return out;
}

function mean(xs: Counts[]): Counts {
  const out: Counts = {};
  for (const x of xs)
    for (const [k, v] of Object.entries(x)) out[k] = (out[k] ?? 0) + v / xs.length;
  for (const k of Object.keys(out)) out[k] = round(out[k], 3);
  return out;
}

const sum = (c: Counts, re: RegExp) =>
  Object.entries(c).reduce((s, [k, v]) => (re.test(k) ? s + v : s), 0);

/** Billable units per 1,000 runs and their price. */
export function price(perRun: Counts, serverCpuMsPerRun: number) {
  const k = 1000;
  const p = PRICES;
  const wsMessages = sum(perRun, /^do\.[a-z_]+\.ws_messages$/);
  const units = {
    worker_requests: k * sum(perRun, /^worker\.(fetch|queue|scheduled)$/),
    // an upper bound: every local process's CPU (the proxy, D1's and the objects' SQLite, wrangler)
    worker_cpu_ms_upper_bound: k * serverCpuMsPerRun,
    d1_rows_read: k * (perRun["d1.rows_read"] ?? 0),
    d1_rows_written: k * (perRun["d1.rows_written"] ?? 0),
    do_requests:
      k *
      (sum(perRun, /^do\.[a-z_]+\.requests$/) +
        sum(perRun, /^do\.[a-z_]+\.alarms$/) +
        wsMessages / p.do_ws_messages_per_request),
    do_gb_s: (k * sum(perRun, /^do\.[a-z_]+\.(request|handler)_wall_ms$/) * p.do_memory_gb) / 1000,
    do_rows_read: k * sum(perRun, /^do\.[a-z_]+\.rows_read$/),
    do_rows_written: k * sum(perRun, /^do\.[a-z_]+\.rows_written$/),
    // written once, read and deleted once per delivery
    queue_operations: k * (sum(perRun, /^queue\.sent\./) + 2 * sum(perRun, /^queue\.delivered\./)),
    kv_reads: k * (perRun["kv.reads"] ?? 0),
    kv_writes: k * sum(perRun, /^kv\.(writes|deletes|lists)$/),
    r2_class_a: k * (perRun["r2.class_a"] ?? 0),
    r2_class_b: k * (perRun["r2.class_b"] ?? 0),
  };
  const usd = {
    worker_requests: units.worker_requests * p.worker_request,
    worker_cpu_ms_upper_bound: units.worker_cpu_ms_upper_bound * p.worker_cpu_ms,
    d1_rows_read: units.d1_rows_read * p.d1_row_read,
    d1_rows_written: units.d1_rows_written * p.d1_row_written,
    do_requests: units.do_requests * p.do_request,
    do_gb_s: units.do_gb_s * p.do_gb_s,
    do_rows_read: units.do_rows_read * p.do_row_read,
    do_rows_written: units.do_rows_written * p.do_row_written,
    queue_operations: units.queue_operations * p.queue_operation,
    kv_reads: units.kv_reads * p.kv_read,
    kv_writes: units.kv_writes * p.kv_write,
    r2_class_a: units.r2_class_a * p.r2_class_a,
    r2_class_b: units.r2_class_b * p.r2_class_b,
  };
  const total = Object.values(usd).reduce((s, v) => s + v, 0);
  return {
    units: Object.fromEntries(Object.entries(units).map(([k, v]) => [k, round(v, 3)])),
    usd: Object.fromEntries(Object.entries(usd).map(([k, v]) => [k, round(v, 6)])),
    usd_total: round(total, 6),
  };
}

function table(priced: ReturnType<typeof price>) {
  const head = `${"per 1,000 runs".padEnd(28)}${"units".padStart(14)}${"USD".padStart(12)}`;
  const rows = Object.keys(priced.units).map(
    (k) =>
      `${k.padEnd(28)}${String(priced.units[k]).padStart(14)}${priced.usd[k].toFixed(6).padStart(12)}`,
  );
  return [
    head,
    "-".repeat(head.length),
    ...rows,
    `${"total".padEnd(42)}${priced.usd_total.toFixed(6).padStart(12)}`,
  ].join("\n");
}
