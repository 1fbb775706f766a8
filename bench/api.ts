// `npm run bench -- api`: HTTP load on the API of a fresh local `wrangler dev` whose team holds
// 100,000 runs. Writes bench/results/api-<timestamp>.json and prints a summary. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/lib/wrangler-dev.ts";
import { treeCpuMs, watchOtherCpu } from "./lib/cpu.ts";
import { load, type LoadOptions, type RouteResult, round, sequential } from "./lib/load.ts";
import { fsType, machineInfo } from "./lib/machine.ts";
import { routeTable, verdict } from "./lib/report.ts";
import { benchState } from "./lib/bench-state.ts";
import { seededTeam } from "./lib/seeded-team.ts";
import { limiterCheck } from "./lib/rate-limit-check.ts";

const TARGETS = { create_over_healthz: 0.25, list_p50_ms: 25 };
const LIST_PATH = "/api/v1/agent/runs?state=QUEUED&limit=20";

export async function benchApi(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "100000" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "25" },
      samples: { type: "string", default: "200" },
      keep: { type: "boolean", default: false },
      only: { type: "string" },
      rounds: { type: "string", default: "4" },
      slice: { type: "string", default: "5" },
    },
  });
  const cfg = {
    runs: Number(o.runs),
    duration: Number(o.duration),
    warmup: Number(o.warmup),
    connections: Number(o.connections),
    samples: Number(o.samples),
    rounds: Math.max(0, Number(o.rounds)),
    slice: Number(o.slice),
  };
  const state = benchState("api", o.keep!);
  const { persistTo } = state;
  const started = new Date();
  const machine = machineInfo();
  try {
    const { server, signup, seed } = await seededTeam(state, cfg.runs, log);

    const auth = { authorization: `Bearer ${signup.api_key}` };
    const base = { connections: cfg.connections, duration: cfg.duration };
    const routes: [string, LoadOptions][] = [
      ["GET /healthz", { ...base, url: `${server.url}/healthz` }],
      [`GET ${LIST_PATH}`, { ...base, url: server.url + LIST_PATH, headers: auth }],
      [
        "GET /api/v1/agent/runs/{id}",
        {
          ...base,
          url: server.url,
          headers: auth,
          paths: seed.sampleIds.map((id) => `/api/v1/agent/runs/${id}`),
        },
      ],
      [
        "POST /api/v1/agent/runs",
        {
          ...base,
          url: `${server.url}/api/v1/agent/runs`,
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ prompt: "Benchmark run [<id>]: fix the flaky test in src/util" }),
        },
      ],
    ];
    // `--only healthz,create`: the routes whose name contains one of these words (the rest are skipped)
    const only = o.only
      ?.split(",")
      .map((w) => w.trim().toLowerCase())
      .filter(Boolean);
    const selected = routes.filter(
      ([name]) =>
        !only || only.some((w) => name.toLowerCase().includes(w === "create" ? "post" : w)),
    );
    const results: Record<string, RouteResult> = {};
    const otherCpu = watchOtherCpu();
    let listSeq: Awaited<ReturnType<typeof sequential>> | undefined;
    const measure = async (name: string, opts: LoadOptions) => {
      log(
        `${name}: ${cfg.warmup} s warm-up, then ${cfg.duration} s at ${cfg.connections} connections`,
      );
      if (cfg.warmup > 0) await load({ ...opts, duration: cfg.warmup });
      const cpu0 = treeCpuMs(server!.child.pid);
      const result = await load(opts);
      const cpu1 = treeCpuMs(server!.child.pid);
      // what the server (both workerd processes) spent per request: robust to other load on the machine
      result.server_cpu_ms_per_request =
        cpu0 === null || cpu1 === null ? null : round((cpu1 - cpu0) / result.requests);
      return result;
    };
    for (const [name, opts] of selected) {
      results[name] = await measure(name, opts);
      if (name.includes("state=QUEUED")) {
        log(`${name}: ${cfg.samples} sequential requests on one connection`);
        listSeq = await sequential(server.url + LIST_PATH, auth, cfg.samples);
      }
    }
    const healthz = results["GET /healthz"];
    const create = results["POST /api/v1/agent/runs"];
    const list = results[`GET ${LIST_PATH}`];
    // The floor moves with whatever else the machine does, within seconds on a shared machine
    // (/healthz's own CPU per request varies by a third). So the ratio is measured interleaved:
    // `--rounds` turns of a `--slice`-second /healthz load then a creation load, summed. A slice
    // lasts until the server is idle again: a creation's work goes on after its answer (the
    // RUNS queue, the pool), and that time counts as the creations', not the next slice's.
    let interleaved: Interleaved | null = null;
    if (healthz && create && cfg.rounds > 0) {
      const [[, hOpts], [, cOpts]] = [routes[0], routes[routes.length - 1]];
      log(`create / healthz: ${cfg.rounds} turns of ${cfg.slice} s each, interleaved`);
      const empty = () => ({ requests: 0, seconds: 0, cpu_ms: 0 });
      interleaved = { healthz: empty(), create: empty(), turns: [] };
      await untilIdle(server.child.pid);
      const slice = async (opts: LoadOptions, into: Interleaved["healthz"]) => {
        const cpu0 = treeCpuMs(server!.child.pid) ?? 0;
        const r = await load({ ...opts, duration: cfg.slice });
        const seconds = cfg.slice + (await untilIdle(server!.child.pid));
        into.requests += r.requests;
        into.seconds += seconds;
        into.cpu_ms += (treeCpuMs(server!.child.pid) ?? 0) - cpu0;
        return r.requests / seconds;
      };
      for (let r = 0; r < cfg.rounds; r++) {
        const h = await slice(hOpts, interleaved.healthz);
        interleaved.turns.push(round((await slice(cOpts, interleaved.create)) / h, 3));
      }
      for (const side of [interleaved.healthz, interleaved.create])
        side.seconds = round(side.seconds, 2);
    }
    // the per-key and per-team rate limiter: its cost per request, and a limited key beside another
    let limiter: Awaited<ReturnType<typeof limiterCheck>> | null = null;
    if (!only || only.includes("limiter")) {
      log(`limiter: ${cfg.samples} attach tokens within budget, then a burst from one key`);
      limiter = await limiterCheck(server.url, signup.api_key, seed.sampleIds[0]!, cfg.samples);
    }
    const otherCpuSeconds = otherCpu();
    const firstPass =
      healthz && create ? round(create.requests_per_sec / healthz.requests_per_sec, 3) : null;
    const createRatio = interleaved
      ? round(
          interleaved.create.requests /
            interleaved.create.seconds /
            (interleaved.healthz.requests / interleaved.healthz.seconds),
          3,
        )
      : firstPass;
    const ratios = {
      create_over_healthz: createRatio,
      create_over_healthz_interleaved: interleaved,
      create_over_healthz_first_pass: firstPass,
      create_over_healthz_target: TARGETS.create_over_healthz,
      create_over_healthz_pass:
        createRatio === null ? null : createRatio >= TARGETS.create_over_healthz,
      list_p50_ms_sequential: listSeq?.latency_ms.p50 ?? null,
      list_p50_ms_under_load: list?.latency_ms.p50 ?? null,
      list_p50_target_ms: TARGETS.list_p50_ms,
      list_p50_pass_sequential: listSeq ? listSeq.latency_ms.p50 < TARGETS.list_p50_ms : null,
      list_p50_pass_under_load: list ? list.latency_ms.p50 < TARGETS.list_p50_ms : null,
    };
    const report = {
      bench: "api",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: {
        ...machine,
        other_processes_cpu_s: otherCpuSeconds,
        state_dir: persistTo,
        state_fs: fsType(persistTo),
      },
      config: { ...cfg, list_path: LIST_PATH },
      seed: { runs: seed.runs, by_state: seed.byState, seconds: round(seed.seconds, 1) },
      routes: results,
      list_sequential: listSeq,
      limiter,
      ratios,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `api-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

    console.log(
      `\n${routeTable(results, listSeq && { name: "  the same list: 1 connection, sequential", result: listSeq })}\n`,
    );
    if (createRatio !== null) {
      console.log(
        `create / healthz throughput: ${createRatio} (target >= ${TARGETS.create_over_healthz}) ${verdict(ratios.create_over_healthz_pass!)}` +
          (interleaved
            ? `: ${interleaved.turns.length} interleaved turns (each: ${interleaved.turns.join(", ")}; server CPU per request ` +
              `${round(interleaved.create.cpu_ms / interleaved.create.requests)} ms vs ${round(interleaved.healthz.cpu_ms / interleaved.healthz.requests)} ms); ` +
              `the first pass alone: ${firstPass}`
            : ""),
      );
    }
    if (listSeq)
      console.log(
        `list p50, sequential:        ${ratios.list_p50_ms_sequential} ms (target < ${TARGETS.list_p50_ms} ms) ${verdict(ratios.list_p50_pass_sequential!)}`,
      );
    if (list)
      console.log(
        `list p50, ${cfg.connections} connections:     ${ratios.list_p50_ms_under_load} ms ${verdict(ratios.list_p50_pass_under_load!)}`,
      );
    if (limiter)
      console.log(
        `rate limiter added, p50:     ${limiter.added_ms.p50} ms (p95 ${limiter.added_ms.p95} ms; target < ${limiter.added_p50_target_ms} ms) ${verdict(limiter.added_p50_pass)}
` +
          `  by path, p50:               lease ${limiter.by_path.lease.p50} ms (${limiter.by_path.lease.samples} requests), RateLimiter object ${limiter.by_path.object.p50} ms (${limiter.by_path.object.samples})
` +
          `limited key (${limiter.limited_key.budget_per_minute} attaches/min): ${limiter.limited_key.ok} ok (at most ${limiter.limited_key.at_most} in its ${limiter.limited_key.seconds} s), ${limiter.limited_key.refused_429} × 429 (Retry-After ${limiter.refusal.retry_after}; ${limiter.refusal.ratelimit}); another key: ${limiter.other_key_status}`,
      );
    console.log(
      `machine: ${report.machine.cpus} × ${report.machine.cpu_model}, node ${report.machine.node}, state on ${report.machine.state_fs}, load average ${machine.loadavg_at_start[0]} at start\nother processes used ${otherCpuSeconds ?? "?"} CPU s during the load (should be ~0)\nresults: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

/**
 * Seconds until the server's processes use less than 10 % of a core over 100 ms: the work a load
 * left behind is done. At most 20 s.
 */
async function untilIdle(pid: number | undefined): Promise<number> {
  const t0 = performance.now();
  let last = treeCpuMs(pid);
  if (last === null) return 0;
  while (performance.now() - t0 < 20_000) {
    await new Promise((r) => setTimeout(r, 100));
    const now = treeCpuMs(pid)!;
    const busy = now - last;
    last = now;
    if (busy <= 10) break; // /proc counts in 10 ms ticks
  }
  return round((performance.now() - t0) / 1000 - 0.1, 3); // the last 100 ms were idle
}

/** The interleaved measurement of create / healthz: totals of each, and each turn's own ratio. */
type Interleaved = { healthz: Side; create: Side; turns: number[] };
/** requests answered, seconds the server was busy with them, and the CPU its processes spent meanwhile */
type Side = { requests: number; seconds: number; cpu_ms: number };

const log = (msg: string) => console.log(`• ${msg}`);
