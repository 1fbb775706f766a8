// `npm run bench -- stats`: the latency of `GET /api/v1/stats/runs` for a team of 100,000 runs on
// a fresh local `wrangler dev`, against `GET /healthz` in the same run as the floor. Writes
// bench/results/stats-<timestamp>.json and prints a table. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/lib/wrangler-dev.ts";
import { benchState } from "./lib/bench-state.ts";
import { treeCpuMs, watchOtherCpu } from "./lib/cpu.ts";
import { round, type SampleResult, sequential, summarizeSamples } from "./lib/load.ts";
import { timeRequests } from "./lib/load.ts";
import { fsType, machineInfo } from "./lib/machine.ts";
import { verdict } from "./lib/report.ts";
import { seededTeam } from "./lib/seeded-team.ts";

const TARGET_P50_MS = 100;
const DAY_MS = 86_400_000;
const STATS = "/api/v1/stats/runs";

type Case = { name: string; path: string; headers: Record<string, string> };
type CaseResult = SampleResult & {
  over_floor_p50: number;
  over_floor_p95: number;
  server_cpu_ms_per_request: number | null;
};

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
  const cfg = {
    runs: Number(o.runs),
    samples: Number(o.samples),
    rounds: Math.max(1, Number(o.rounds)),
    warmup: Number(o.warmup),
  };
  const state = benchState("stats", o.keep!);
  const started = new Date();
  const machine = machineInfo();
  try {
    const { server, signup, seed } = await seededTeam(state, cfg.runs, log);
    const auth = { authorization: `Bearer ${signup.api_key}` };
    // the seed spreads its runs over the 90 days before it ran: this range holds all of them
    const ninety = `from=${new Date(Date.now() - 89 * DAY_MS).toISOString().slice(0, 10)}`;
    const cases: Case[] = [
      { name: "GET /healthz (floor)", path: "/healthz", headers: {} },
      { name: "stats: default (30 days by day)", path: STATS, headers: auth },
      ...["source", "model", "environment", "creator", "state"].map((g) => ({
        name: `stats: 30 days by ${g}`,
        path: `${STATS}?group_by=${g}`,
        headers: auth,
      })),
      { name: "stats: 90 days by day", path: `${STATS}?${ninety}`, headers: auth },
      {
        name: "stats: 90 days by day, Europe/Paris",
        path: `${STATS}?${ninety}&tz=Europe/Paris`,
        headers: auth,
      },
    ];
    const totals: Record<string, number> = {};
    for (const c of cases) {
      const res = await fetch(server.url + c.path, { headers: c.headers });
      const body = (await res.json()) as { total?: number };
      if (!res.ok) throw new Error(`${c.name}: ${res.status} ${JSON.stringify(body)}`);
      if (body.total !== undefined) totals[c.name] = body.total;
      if (cfg.warmup > 0) await sequential(server.url + c.path, c.headers, cfg.warmup);
    }
    // Every case takes a share of each round, one after another, so a change in the machine's
    // speed during the run touches the floor and the queries alike.
    const perRound = Math.ceil(cfg.samples / cfg.rounds);
    log(`${cfg.rounds} rounds of ${perRound} sequential requests per case on one connection`);
    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    const non2xx = new Map<string, number>(cases.map((c) => [c.name, 0]));
    // the server's CPU per case: it moves far less than latency when other work competes
    const cpuMs = new Map<string, number | null>(cases.map((c) => [c.name, 0]));
    const otherCpu = watchOtherCpu();
    for (let r = 0; r < cfg.rounds; r++) {
      for (const c of cases) {
        const cpu0 = treeCpuMs(server.child.pid);
        const s = await timeRequests(server.url + c.path, c.headers, perRound);
        const cpu1 = treeCpuMs(server.child.pid);
        const spent = cpuMs.get(c.name)!;
        const known = spent !== null && cpu0 !== null && cpu1 !== null;
        cpuMs.set(c.name, known ? spent + cpu1 - cpu0 : null);
        times.get(c.name)!.push(...s.times);
        non2xx.set(c.name, non2xx.get(c.name)! + s.non2xx);
      }
    }
    const otherCpuSeconds = otherCpu();
    const floor = summarizeSamples(times.get(cases[0].name)!, non2xx.get(cases[0].name)!);
    const results: Record<string, CaseResult> = {};
    for (const c of cases) {
      const s = summarizeSamples(times.get(c.name)!, non2xx.get(c.name)!);
      const cpu = cpuMs.get(c.name);
      results[c.name] = {
        ...s,
        over_floor_p50: round(s.latency_ms.p50 / floor.latency_ms.p50, 1),
        over_floor_p95: round(s.latency_ms.p95 / floor.latency_ms.p95, 1),
        server_cpu_ms_per_request: cpu == null ? null : round(cpu / s.samples, 1),
      };
    }
    const statsP50s = cases.slice(1).map((c) => results[c.name].latency_ms.p50);
    const worst = Math.max(...statsP50s);
    const report = {
      bench: "stats",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: {
        ...machine,
        other_processes_cpu_s: otherCpuSeconds,
        state_dir: state.persistTo,
        state_fs: fsType(state.persistTo),
      },
      config: { ...cfg, paths: Object.fromEntries(cases.map((c) => [c.name, c.path])) },
      seed: { runs: seed.runs, by_state: seed.byState, seconds: round(seed.seconds, 1) },
      runs_counted: totals,
      cases: results,
      target: { p50_ms: TARGET_P50_MS, worst_p50_ms: worst, pass: worst < TARGET_P50_MS },
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `stats-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

    console.log(`\n${caseTable(results, totals)}\n`);
    const pass = verdict(report.target.pass);
    console.log(`slowest stats p50: ${worst} ms (target < ${TARGET_P50_MS} ms) ${pass}`);
    console.log(
      `machine: ${machine.cpus} × ${machine.cpu_model}, load average ` +
        `${machine.loadavg_at_start[0]} at start; other processes used ${otherCpuSeconds ?? "?"} ` +
        `CPU s while measuring (should be ~0)\n` +
        `results: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

function caseTable(results: Record<string, CaseResult>, totals: Record<string, number>): string {
  const columns: [string, number, (r: CaseResult, name: string) => string | number][] = [
    ["runs", 8, (_, name) => totals[name] ?? "-"],
    ["p50 ms", 9, (r) => r.latency_ms.p50],
    ["p95 ms", 9, (r) => r.latency_ms.p95],
    ["p50 ×floor", 12, (r) => r.over_floor_p50],
    ["p95 ×floor", 12, (r) => r.over_floor_p95],
    ["cpu ms", 8, (r) => r.server_cpu_ms_per_request ?? "-"],
    ["non2xx", 8, (r) => r.non_2xx],
  ];
  const head = "case".padEnd(40) + columns.map(([h, w]) => h.padStart(w)).join("");
  const rows = Object.entries(results).map(
    ([name, r]) =>
      name.padEnd(40) + columns.map(([, w, f]) => String(f(r, name)).padStart(w)).join(""),
  );
  return [head, "-".repeat(head.length), ...rows].join("\n");
}

const log = (msg: string) => console.log(`• ${msg}`);
