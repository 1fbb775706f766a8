// `npm run bench -- soak [--minutes 30]`: a steady load of runs for a long time on the chaos
// suite's world (test/chaos/world.ts: a real `wrangler dev`, two runner processes with the
// built-in harness, the scripted model server in its own process; each run's work is a shell
// command of `--work-seconds`). Every `--sample-seconds` the resident memory of every process,
// and inside the runtime `workerd` its isolate's JavaScript heap and the Durable Objects it holds
// open (lib/runtime-probe.ts); at the end the slope of each (MB/min and MB/run, least squares),
// the latencies (create, to RUNNING, to terminal) per `--window-minutes` of creation time, and
// whether anything is stuck once every lease has passed. `--baseline do|noop` runs the same
// load against a minimal Worker instead (lib/soak-baseline.ts): what the local runtime keeps per
// Durable Object without Ambit. JSON in bench/results/soak-<timestamp>.json. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type DevServer, ROOT } from "../scripts/lib/wrangler-dev.ts";
import { type Tally, tally } from "../test/chaos/measure.ts";
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
import { runtimeProbe } from "./lib/runtime-probe.ts";
import {
  type BaselineMode,
  type BaselineRequest,
  baselineLoad,
  startBaseline,
} from "./lib/soak-baseline.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
      /** `do` or `noop`: the minimal Worker of bench/soak-baseline/ instead of Ambit */
      baseline: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  const minutes = Number(o.minutes);
  const rate = Number(o.rate);
  const windowMs = Number(o["window-minutes"]) * 60_000;
  const baseline = o.baseline as BaselineMode | undefined;
  if (baseline !== undefined && baseline !== "do" && baseline !== "noop")
    throw new Error(`--baseline is do or noop, not ${baseline}`);
  // the world's directory (work log, runners' workdirs); the platform's state is the world's own
  const state = benchState("soak", o.keep!);
  let world: World | undefined;
  let base: DevServer | undefined;
  state.onCleanup(() => world?.stop());
  state.onCleanup(() => base?.stop());
  const started = new Date();
  try {
    let server: DevServer;
    const named = new Map<number, string>([[process.pid, "load_generator"]]);
    if (baseline) {
      base = await startBaseline(state.persistTo);
      server = base;
    } else {
      world = await startWorld({ workSeconds: Number(o["work-seconds"]), dir: state.persistTo });
      for (let i = 0; i < Number(o.runners); i++) await world.startRunner();
      server = world.server.server;
      for (const r of world.runners) named.set(r.child.pid as number, `runner_${r.id}`);
      named.set(world.model.pid, "model_server");
    }
    const serverPgid = server.child.pid as number;
    const processes = () => new Map([...serverProcesses(serverPgid), ...named]);
    const sampler = memorySampler(processes);
    const runtimePid = () =>
      [...serverProcesses(serverPgid)].find(([, l]) => l === "runtime_workerd")?.[0];
    const probe = await runtimeProbe(server.inspectorPort, runtimePid);
    log(
      baseline
        ? `baseline Worker up; /${baseline} ${rate}/s for ${minutes} min`
        : `platform, ${world!.runners.length} runners and the model server up; ${rate} run/s for ${minutes} min, each run's work ${o["work-seconds"]} s`,
    );
    const machine = machineInfo();
    const otherCpu = watchOtherCpu();
    const sample = () => {
      sampler.sample();
      return probe.sample(sampler.minutes());
    };
    await sample();
    const loadStart = Date.now();
    const load = baseline
      ? baselineLoad(base!, baseline, 1_000 / rate)
      : steadyLoad(world!, 1_000 / rate);
    const sampling = setInterval(() => void sample(), Number(o["sample-seconds"]) * 1_000);
    const progress = setInterval(() => {
      const failed = load.planned.filter((p) => p.error).length;
      const answered = load.planned.filter((p) => p.answeredAt).length;
      const ended = world
        ? [...executions(world.workLog).values()].filter((l) => l.some((e) => e.end)).length
        : answered;
      const rt = probe.latest();
      log(
        `+${clock(Date.now() - loadStart)}/${clock(minutes * 60_000)} sent ${load.planned.length} (failed ${failed}), ${world ? "work ended" : "answered"} ${ended}; load ${os.loadavg()[0].toFixed(1)}; heap ${rt?.heap?.used_mb ?? "-"} MB, objects open ${JSON.stringify(rt?.open ?? {})}; rss MB ${JSON.stringify(sampler.latest())}`,
      );
    }, Number(o.progress) * 1_000);
    await sleep(minutes * 60_000);
    clearInterval(progress);
    await load.stop();
    log(
      world
        ? `load stopped: ${load.planned.length} runs asked for; waiting for every run to end (at most ${AFTER_LEASE} s)`
        : `load stopped: ${load.planned.length} requests sent`,
    );
    // the samples after this one are the idle one alone: `rss_mb_after_idle` is null without idle
    clearInterval(sampling);
    await sample();
    const loadEnd = sampler.minutes();
    const counts = world
      ? await tally(world, load.planned as Planned[], [], AFTER_LEASE * 1_000)
      : null;
    const windows = world
      ? await latencyWindows(world, load.planned as Planned[], loadStart, windowMs)
      : requestWindows(load.planned, loadStart, windowMs);
    await probe.collect("load_end", sampler.minutes());
    const idle = Number(o["idle-minutes"]);
    if (idle > 0) {
      log(`settled; ${idle} min without load`);
      await sleep(idle * 60_000);
      await sample();
      await probe.collect("after_idle", sampler.minutes());
    }
    probe.close();
    // MB per run from MB per minute: the load is `rate` runs a second
    const perRun = (mbPerMin: number | null) =>
      mbPerMin === null ? null : round(mbPerMin / (rate * 60), 3);
    const memory = [...sampler.tracked.values()]
      .filter((t) => t.samples.filter(([x]) => x <= loadEnd).length >= 3)
      .map((t) => {
        const m = memoryReport(t, loadEnd);
        return {
          ...m,
          mb_per_run: perRun(m.slope_mb_per_min),
          mb_per_run_second_half: perRun(m.slope_mb_per_min_second_half),
        };
      });
    // no viewers watch in a soak: their counts would be zeros that say nothing
    const runs = counts && {
      ...counts,
      viewers: undefined,
      viewer_events_lost: undefined,
      viewer_events_reordered: undefined,
      viewer_errors: undefined,
    };
    const result = {
      bench: "soak",
      case: baseline ? `baseline_${baseline}` : "ambit",
      started_at: started.toISOString(),
      options: o,
      // CPU seconds of processes outside the bench meanwhile: on a busy machine latencies stretch
      machine: {
        ...machine,
        loadavg_at_end: os.loadavg().map((x) => round(x)),
        other_processes_cpu_s: otherCpu(),
      },
      runs,
      requests: baseline
        ? {
            sent: load.planned.length,
            failed: load.planned.filter((p) => p.error).length,
            errors: [...new Set(load.planned.flatMap((p) => (p.error ? [p.error] : [])))].slice(
              0,
              5,
            ),
          }
        : null,
      nothing_stuck: counts ? counts.runs_stuck === 0 && counts.runs_lost === 0 : null,
      memory,
      runtime: probe.report(loadEnd),
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

/** Per window of send time: the baseline's requests, sent → answered (client side). */
function requestWindows(planned: BaselineRequest[], loadStart: number, windowMs: number) {
  const buckets: { runs: number; request: number[] }[] = [];
  for (const p of planned) {
    const b = (buckets[Math.floor((p.createdAt - loadStart) / windowMs)] ??= {
      runs: 0,
      request: [],
    });
    b.runs++;
    if (p.answeredAt) b.request.push(p.answeredAt - p.createdAt);
  }
  return Array.from(buckets, (b, k) => ({
    from_min: round((k * windowMs) / 60_000),
    to_min: round(((k + 1) * windowMs) / 60_000),
    runs: b?.runs ?? 0,
    create_ms: summary(b?.request ?? []),
    to_running_ms: null,
    to_terminal_ms: null,
  }));
}

type Windows = {
  from_min: number;
  to_min: number;
  runs: number;
  create_ms: ReturnType<typeof summary>;
  to_running_ms: ReturnType<typeof summary> | null;
  to_terminal_ms: ReturnType<typeof summary> | null;
}[];

type Viewers = "viewers" | "viewer_events_lost" | "viewer_events_reordered" | "viewer_errors";

type Result = {
  case: string;
  runs: (Partial<Tally> & Omit<Tally, Viewers>) | null;
  requests: { sent: number; failed: number } | null;
  nothing_stuck: boolean | null;
  machine: {
    cpus: number;
    loadavg_at_start: number[];
    loadavg_at_end: number[];
    other_processes_cpu_s: number | null;
  };
  memory: (ReturnType<typeof memoryReport> & {
    mb_per_run: number | null;
    mb_per_run_second_half: number | null;
  })[];
  runtime: ReturnType<Awaited<ReturnType<typeof runtimeProbe>>["report"]>;
  latency_windows: Windows;
};

function table(r: Result) {
  const pad = (s: unknown, n: number) => String(s ?? "-").padStart(n);
  const memHead = `${"process".padEnd(18)}${pad("pid", 8)}${pad("rss first", 11)}${pad("last", 8)}${pad("max", 8)}${pad("MB/min", 9)}${pad("2nd half", 10)}${pad("MB/run", 8)}${pad("cpu %", 8)}${pad("idle", 8)}`;
  const mem = r.memory.map(
    (m) =>
      `${m.label.padEnd(18)}${pad(m.pid, 8)}${pad(m.rss_mb.first, 11)}${pad(m.rss_mb.last, 8)}${pad(m.rss_mb.max, 8)}${pad(m.slope_mb_per_min, 9)}${pad(m.slope_mb_per_min_second_half, 10)}${pad(m.mb_per_run_second_half, 8)}${pad(m.cpu_pct, 8)}${pad(m.rss_mb_after_idle, 8)}`,
  );
  const latHead = `${"window (min)".padEnd(14)}${pad("runs", 6)}${pad(r.runs ? "create p50" : "request p50", 12)}${pad("p99", 8)}${pad("→RUNNING p50", 14)}${pad("p99", 8)}${pad("→end p50", 10)}${pad("p99", 8)}`;
  const lat = r.latency_windows.map(
    (w) =>
      `${`${w.from_min}–${w.to_min}`.padEnd(14)}${pad(w.runs, 6)}${pad(w.create_ms.p50, 12)}${pad(w.create_ms.p99, 8)}${pad(w.to_running_ms?.p50, 14)}${pad(w.to_running_ms?.p99, 8)}${pad(w.to_terminal_ms?.p50, 10)}${pad(w.to_terminal_ms?.p99, 8)}`,
  );
  const h = r.runtime.isolate_heap_mb;
  const gc = (h?.after_gc ?? []).map((g) => `${g.heap?.used_mb ?? "-"} MB at ${g.at}`).join(", ");
  const x = r.runs;
  const m = r.machine;
  return [
    ...tableLines(memHead, mem),
    "",
    ...tableLines(latHead, lat),
    "",
    `runtime isolate heap: ${h ? `${h.first} → ${h.last} MB (max ${h.max}), second half ${h.slope_mb_per_min_second_half} MB/min; after a full collection ${gc}` : "inspector not reachable"}`,
    `Durable Objects open in the runtime: max ${r.runtime.durable_objects_open.max}, mean ${r.runtime.durable_objects_open.mean}`,
    `machine: ${m.cpus} cores, load average ${m.loadavg_at_start.join(" ")} at the start, ${m.loadavg_at_end.join(" ")} at the end; other processes used ${m.other_processes_cpu_s ?? "-"} CPU s meanwhile`,
    x
      ? `runs ${x.runs_planned}: ${JSON.stringify(x.by_state)}; creates failed ${x.creates_failed}, lost ${x.runs_lost}, duplicated ${x.runs_duplicated}, stuck ${x.runs_stuck}, work lost ${x.runs_with_work_lost}: ${r.nothing_stuck ? "nothing stuck" : "STUCK OR LOST RUNS"}`
      : `requests ${r.requests?.sent}: failed ${r.requests?.failed}`,
  ].join("\n");
}
