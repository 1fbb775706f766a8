// `npm run bench -- soak [--minutes 30]`: a steady load of runs for a long time on the chaos
// suite's world (test/chaos/world.ts: a real `wrangler dev`, two runner processes with the
// built-in harness, the scripted model server in its own process; each run's work is a shell
// command of `--work-seconds`). Every `--sample-seconds` the resident memory of every process;
// at the end the slope of each (MB/min, least squares), the latencies (create, to RUNNING, to
// terminal) per `--window-minutes` of creation time, and whether anything is stuck once every
// lease has passed. JSON in bench/results/soak-<timestamp>.json. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/lib/wrangler-dev.ts";
import { tally } from "../test/chaos/measure.ts";
import { AFTER_LEASE } from "../test/chaos/scenarios.ts";
import {
  executions,
  type Planned,
  startWorld,
  steadyLoad,
  type World,
} from "../test/chaos/world.ts";
import { benchState } from "./lib/bench-state.ts";
import { watchOtherCpu } from "./lib/cpu.ts";
import { summary } from "./lib/fanout-stats.ts";
import { round } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";
import { memoryReport, memorySampler, serverProcesses } from "./lib/memory.ts";
import { tableLines } from "./lib/report.ts";
import { log } from "./lib/progress.ts";

export async function benchSoak(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      minutes: { type: "string", default: "30" },
      /** runs created per second */
      rate: { type: "string", default: "1" },
      "work-seconds": { type: "string", default: "2" },
      runners: { type: "string", default: "2" },
      "sample-seconds": { type: "string", default: "5" },
      "window-minutes": { type: "string", default: "5" },
      /** after every run ended: minutes without load, sampled, to see what memory is given back */
      "idle-minutes": { type: "string", default: "1" },
      /** seconds between progress lines */
      progress: { type: "string", default: "30" },
      keep: { type: "boolean", default: false },
    },
  });
  const minutes = Number(o.minutes);
  const rate = Number(o.rate);
  const windowMs = Number(o["window-minutes"]) * 60_000;
  // the world's directory (work log, runners' workdirs); the platform's state is the world's own
  const state = benchState("soak", o.keep!);
  let world: World | undefined;
  state.onCleanup(() => world?.stop());
  const started = new Date();
  try {
    world = await startWorld({ workSeconds: Number(o["work-seconds"]), dir: state.persistTo });
    for (let i = 0; i < Number(o.runners); i++) await world.startRunner();
    const w = world;
    const serverPgid = w.server.server.child.pid as number;
    const sampler = memorySampler(() => {
      const named = serverProcesses(serverPgid);
      for (const r of w.runners) named.set(r.child.pid as number, `runner_${r.id}`);
      named.set(w.model.pid, "model_server");
      named.set(process.pid, "load_generator");
      return named;
    });
    log(
      `platform, ${w.runners.length} runners and the model server up; ${rate} run/s for ${minutes} min, each run's work ${o["work-seconds"]} s`,
    );
    const machine = machineInfo();
    const otherCpu = watchOtherCpu();
    sampler.sample();
    const loadStart = Date.now();
    const load = steadyLoad(w, 1_000 / rate);
    const sampling = setInterval(() => sampler.sample(), Number(o["sample-seconds"]) * 1_000);
    const progress = setInterval(() => {
      const ended = [...executions(w.workLog).values()].filter((l) => l.some((e) => e.end)).length;
      const failed = load.planned.filter((p) => p.error).length;
      log(
        `+${clock(Date.now() - loadStart)}/${clock(minutes * 60_000)} created ${load.planned.length} (failed ${failed}), work ended ${ended}; rss MB ${JSON.stringify(sampler.latest())}`,
      );
    }, Number(o.progress) * 1_000);
    await new Promise((r) => setTimeout(r, minutes * 60_000));
    clearInterval(progress);
    await load.stop();
    log(`load stopped: ${load.planned.length} runs asked for; waiting for every run to end`);
    sampler.sample();
    const loadEnd = sampler.minutes();
    const counts = await tally(w, load.planned, [], AFTER_LEASE * 1_000);
    const windows = await latencyWindows(w, load.planned, loadStart, windowMs);
    const idle = Number(o["idle-minutes"]);
    if (idle > 0) {
      log(`settled; ${idle} min without load`);
      await new Promise((r) => setTimeout(r, idle * 60_000));
      sampler.sample();
    }
    clearInterval(sampling);
    const memory = [...sampler.tracked.values()]
      .filter((t) => t.samples.filter(([x]) => x <= loadEnd).length >= 3)
      .map((t) => memoryReport(t, loadEnd));
    const {
      create_errors,
      viewers,
      viewer_events_lost,
      viewer_events_reordered,
      viewer_errors,
      ...runs
    } = counts;
    const result = {
      bench: "soak",
      started_at: started.toISOString(),
      options: o,
      // CPU seconds of processes outside the bench meanwhile: on a busy machine latencies stretch
      machine: { ...machine, other_processes_cpu_s: otherCpu() },
      runs: { ...runs, create_errors },
      nothing_stuck: counts.runs_stuck === 0 && counts.runs_lost === 0,
      memory,
      latency_windows: windows,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `soak-${started.toISOString().replaceAll(":", "-")}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\n${table(result)}\n\nresults: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

const clock = (ms: number) =>
  `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}`;

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"]);

/**
 * Per window of creation time: the create call (client side, with the SDK's retries), created →
 * RUNNING (`started_at`) and created → terminal (`updated_at` of an ended run), on the server's
 * clock (the same machine's) from the run list.
 */
async function latencyWindows(
  world: World,
  planned: Planned[],
  loadStart: number,
  windowMs: number,
) {
  const runs = new Map<
    string,
    { state: string; created: number; started?: number; updated: number }
  >();
  for await (const r of world.sdk.agent.runs.list({ limit: 500 }))
    runs.set(r.run_id, {
      state: r.state,
      created: Date.parse(r.created_at),
      started: r.started_at ? Date.parse(r.started_at) : undefined,
      updated: Date.parse(r.updated_at),
    });
  const buckets: { runs: number; create: number[]; running: number[]; terminal: number[] }[] = [];
  for (const p of planned) {
    const k = Math.floor((p.createdAt - loadStart) / windowMs);
    const b = (buckets[k] ??= { runs: 0, create: [], running: [], terminal: [] });
    const r = p.runId ? runs.get(p.runId) : undefined;
    b.runs++;
    if (p.answeredAt) b.create.push(p.answeredAt - p.createdAt);
    if (r?.started) b.running.push(r.started - r.created);
    if (r && TERMINAL.has(r.state)) b.terminal.push(r.updated - r.created);
  }
  return Array.from(buckets, (b, k) => ({
    from_min: round((k * windowMs) / 60_000),
    to_min: round(((k + 1) * windowMs) / 60_000),
    runs: b?.runs ?? 0,
    create_ms: summary(b?.create ?? []),
    to_running_ms: summary(b?.running ?? []),
    to_terminal_ms: summary(b?.terminal ?? []),
  }));
}

type Result = {
  runs: {
    runs_planned: number;
    creates_failed: number;
    runs_lost: number;
    runs_duplicated: number;
    runs_stuck: number;
    by_state: Record<string, number>;
    runs_with_work_lost: number;
  };
  nothing_stuck: boolean;
  machine: { cpus: number; loadavg_at_start: number[]; other_processes_cpu_s: number | null };
  memory: ReturnType<typeof memoryReport>[];
  latency_windows: Awaited<ReturnType<typeof latencyWindows>>;
};

function table(r: Result) {
  const pad = (s: unknown, n: number) => String(s ?? "-").padStart(n);
  const memHead = `${"process".padEnd(18)}${pad("pid", 8)}${pad("rss first", 11)}${pad("last", 8)}${pad("max", 8)}${pad("MB/min", 9)}${pad("2nd half", 10)}${pad("cpu %", 8)}${pad("idle", 8)}`;
  const mem = r.memory.map(
    (m) =>
      `${m.label.padEnd(18)}${pad(m.pid, 8)}${pad(m.rss_mb.first, 11)}${pad(m.rss_mb.last, 8)}${pad(m.rss_mb.max, 8)}${pad(m.slope_mb_per_min, 9)}${pad(m.slope_mb_per_min_second_half, 10)}${pad(m.cpu_pct, 8)}${pad(m.rss_mb_after_idle, 8)}`,
  );
  const latHead = `${"window (min)".padEnd(14)}${pad("runs", 6)}${pad("create p50", 12)}${pad("p99", 8)}${pad("→RUNNING p50", 14)}${pad("p99", 8)}${pad("→end p50", 10)}${pad("p99", 8)}`;
  const lat = r.latency_windows.map(
    (w) =>
      `${`${w.from_min}–${w.to_min}`.padEnd(14)}${pad(w.runs, 6)}${pad(w.create_ms.p50, 12)}${pad(w.create_ms.p99, 8)}${pad(w.to_running_ms.p50, 14)}${pad(w.to_running_ms.p99, 8)}${pad(w.to_terminal_ms.p50, 10)}${pad(w.to_terminal_ms.p99, 8)}`,
  );
  const x = r.runs;
  return [
    ...tableLines(memHead, mem),
    "",
    ...tableLines(latHead, lat),
    "",
    `machine: ${r.machine.cpus} cores, load average ${r.machine.loadavg_at_start.join(" ")} at the start; other processes used ${r.machine.other_processes_cpu_s ?? "-"} CPU s meanwhile`,
    `runs ${x.runs_planned}: ${JSON.stringify(x.by_state)}; creates failed ${x.creates_failed}, lost ${x.runs_lost}, duplicated ${x.runs_duplicated}, stuck ${x.runs_stuck}, work lost ${x.runs_with_work_lost}: ${r.nothing_stuck ? "nothing stuck" : "STUCK OR LOST RUNS"}`,
  ].join("\n");
}
