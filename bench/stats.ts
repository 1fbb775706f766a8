// `npm run bench -- stats`: the latency of `GET /api/v1/stats/runs` for a team of 100,000 runs on
// a fresh local `wrangler dev`, against `GET /healthz` in the same run as the floor. Writes
// bench/results/stats-<timestamp>.json and prints a table. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/lib/wrangler-dev.ts";
import { benchState } from "./lib/bench-state.ts";
import { treeCpuMs, watchOtherCpu } from "./lib/cpu.ts";
import { round, type SampleResult, sequential, summarizeSamples, timeRequests } from "./lib/load.ts";
import { fsType, machineInfo } from "./lib/machine.ts";
import { verdict } from "./lib/report.ts";
import { seededTeam } from "./lib/seeded-team.ts";

const TARGET_P50_MS = 100;
const DAY_MS = 86_400_000;

export async function benchStats(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "100000" },
      samples: { type: "string", default: "100" },
      rounds: { type: "string", default: "5" },
      warmup: { type: "string", default: "5" },
      keep: { type: "boolean", default: false },
    },
  });
  const cfg = { runs: Number(o.runs), samples: Number(o.samples), rounds: Math.max(1, Number(o.rounds)), warmup: Number(o.warmup) };
  const state = benchState("stats", o.keep!);
  const started = new Date();
  const machine = machineInfo();
  try {
    const { server, signup, seed } = await seededTeam(state, cfg.runs, log);
    const auth = { authorization: `Bearer ${signup.api_key}` };
    // the seed spreads its runs over the 90 days before it ran: this range holds all of them
    const ninetyFrom = new Date(Date.now() - 89 * DAY_MS).toISOString().slice(0, 10);
    const cases: [string, string, Record<string, string>][] = [
      ["GET /healthz (floor)", "/healthz", {}],
      ["stats: default (30 days by day)", "/api/v1/stats/runs", auth],
      ...(["source", "model", "environment", "creator", "state"] as const).map(
        (g): [string, string, Record<string, string>] => [`stats: 30 days by ${g}`, `/api/v1/stats/runs?group_by=${g}`, auth],
      ),
      ["stats: 90 days by day", `/api/v1/stats/runs?from=${ninetyFrom}`, auth],
      ["stats: 90 days by day, Europe/Paris", `/api/v1/stats/runs?from=${ninetyFrom}&tz=Europe/Paris`, auth],
    ];
    const totals: Record<string, number> = {};
    for (const [name, p, headers] of cases) {
      const res = await fetch(server.url + p, { headers });
      const body = (await res.json()) as { total?: number };
      if (!res.ok) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
      if (body.total !== undefined) totals[name] = body.total;
      if (cfg.warmup > 0) await sequential(server.url + p, headers, cfg.warmup);
    }
    // Every case takes a share of each round, one after another, so a change in the machine's speed
    // during the run touches the floor and the queries alike.
    log(`${cfg.rounds} rounds of ${Math.ceil(cfg.samples / cfg.rounds)} sequential requests per case, one keep-alive connection`);
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    const non2xx = new Map<string, number>(cases.map(([name]) => [name, 0]));
    // CPU of the server's processes per case: it moves far less than latency when other work competes
    const cpuMs = new Map<string, number | null>(cases.map(([name]) => [name, 0]));
    const otherCpu = watchOtherCpu();
    for (let r = 0; r < cfg.rounds; r++) {
      for (const [name, p, headers] of cases) {
        const cpu0 = treeCpuMs(server.child.pid);
        const s = await timeRequests(server.url + p, headers, Math.ceil(cfg.samples / cfg.rounds));
        const cpu1 = treeCpuMs(server.child.pid);
        const spent = cpuMs.get(name);
        cpuMs.set(name, spent === null || cpu0 === null || cpu1 === null ? null : spent! + cpu1 - cpu0);
        times.get(name)!.push(...s.times);
        non2xx.set(name, non2xx.get(name)! + s.non2xx);
      }
    }
    const otherCpuSeconds = otherCpu();
    type CaseResult = SampleResult & { over_floor_p50: number; over_floor_p95: number; server_cpu_ms_per_request: number | null };
    const results: Record<string, CaseResult> = {};
    const summaries = new Map(cases.map(([name]) => [name, summarizeSamples(times.get(name)!, non2xx.get(name)!)]));
    const floor = summaries.get(cases[0][0])!;
    for (const [name, s] of summaries) {
      const cpu = cpuMs.get(name);
      results[name] = {
        ...s,
        over_floor_p50: round(s.latency_ms.p50 / floor.latency_ms.p50, 1),
        over_floor_p95: round(s.latency_ms.p95 / floor.latency_ms.p95, 1),
        server_cpu_ms_per_request: cpu == null ? null : round(cpu / s.samples, 1),
      };
    }
    const worst = Math.max(...Object.entries(results).filter(([n]) => n.startsWith("stats")).map(([, r]) => r.latency_ms.p50));
    const report = {
      bench: "stats",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machine, other_processes_cpu_s: otherCpuSeconds, state_dir: state.persistTo, state_fs: fsType(state.persistTo) },
      config: { ...cfg, paths: Object.fromEntries(cases.map(([n, p]) => [n, p])) },
      seed: { runs: seed.runs, by_state: seed.byState, seconds: round(seed.seconds, 1) },
      runs_counted: totals,
      cases: results,
      target: { p50_ms: TARGET_P50_MS, worst_p50_ms: worst, pass: worst < TARGET_P50_MS },
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `stats-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + "\n");

    const pad = (v: string | number, n: number) => String(v).padStart(n);
    const head = `${"case".padEnd(40)}${pad("runs", 8)}${pad("p50 ms", 9)}${pad("p95 ms", 9)}${pad("p50 ×floor", 12)}${pad("p95 ×floor", 12)}${pad("cpu ms", 8)}${pad("non2xx", 8)}`;
    console.log(`\n${head}\n${"-".repeat(head.length)}`);
    for (const [name, r] of Object.entries(results)) {
      console.log(`${name.padEnd(40)}${pad(totals[name] ?? "-", 8)}${pad(r.latency_ms.p50, 9)}${pad(r.latency_ms.p95, 9)}${pad(r.over_floor_p50, 12)}${pad(r.over_floor_p95, 12)}${pad(r.server_cpu_ms_per_request ?? "-", 8)}${pad(r.non_2xx, 8)}`);
    }
    console.log(`\nslowest stats p50: ${worst} ms (target < ${TARGET_P50_MS} ms) ${verdict(report.target.pass)}`);
    console.log(`machine: ${machine.cpus} × ${machine.cpu_model}, load average ${machine.loadavg_at_start[0]} at start; other processes used ${otherCpuSeconds ?? "?"} CPU s while measuring (should be ~0)\nresults: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

const log = (msg: string) => console.log(`• ${msg}`);
