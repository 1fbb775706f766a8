// `npm run bench -- web`: the web console in headless Chromium (Debian's, driven by playwright-core)
// against a local `wrangler dev` holding a team of 100,000 runs: the time to the runs page's first
// rows, the time until a run of 10,000 events is interactive, and the longest main-thread task
// while a run streams 200 events/s; each against baselines measured in the same run. Writes
// bench/results/web-<timestamp>.json and prints a table. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import {
  buildConsole,
  initialScripts,
  initialScriptsGzipped,
} from "../scripts/lib/console-assets.ts";
import { ROOT } from "../scripts/lib/wrangler-dev.ts";
import { CHROMIUM, NO_BROWSER } from "../test/browser/browser.ts";
import { benchState } from "./lib/bench-state.ts";
import { watchOtherCpu } from "./lib/cpu.ts";
import { round, timeRequests } from "./lib/load.ts";
import { fsType, machineInfo } from "./lib/machine.ts";
import { verdict } from "./lib/report.ts";
import { seededTeam } from "./lib/seeded-team.ts";
import { EventHost, timeReplay } from "./lib/web-host.ts";
import {
  interactive,
  mainThreadTasks,
  marked,
  probe,
  probeState,
  tasksWithin,
  watch,
} from "./lib/web-probe.ts";

const TARGETS = { first_rows_ms: 1000, interactive_ms: 1500, longest_task_ms: 50, js_kb: 250 };
const RUNS_PAGE_SIZE = 25; // packages/web/src/pages/runs.tsx
const FIRST_ROW = "table.runs tbody tr";
const seqSelector = (seq: number) => `[data-seqs~="${seq}"]`;

type Stat = { samples: number; p50: number; max: number; min: number; all: number[] };
function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const p50 = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return {
    samples: s.length,
    p50: round(p50, 1),
    max: round(s.at(-1) ?? NaN, 1),
    min: round(s[0] ?? NaN, 1),
    all: xs.map((x) => round(x, 1)),
  };
}

export async function benchWeb(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "100000" },
      samples: { type: "string", default: "7" },
      events: { type: "string", default: "10000" },
      rate: { type: "string", default: "200" },
      duration: { type: "string", default: "20" },
      streams: { type: "string", default: "3" },
      quiet: { type: "string", default: "500" },
      "no-build": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  if (NO_BROWSER) throw new Error(NO_BROWSER);
  const cfg = {
    runs: Number(o.runs),
    samples: Number(o.samples),
    events: Number(o.events),
    stream_rate: Number(o.rate),
    stream_seconds: Number(o.duration),
    streams: Number(o.streams),
    /** "interactive": the last event in view and no long task for this long */
    quiet_ms: Number(o.quiet),
    runs_page_size: RUNS_PAGE_SIZE,
    viewport: { width: 1280, height: 800 },
  };
  if (!o["no-build"]) {
    log("building the console (vite, production)");
    buildConsole();
  }
  const scripts = initialScripts();
  const jsKb = round(initialScriptsGzipped(scripts) / 1024, 1);
  const state = benchState("web", o.keep!);
  const started = new Date();
  const machine = machineInfo();
  try {
    const { server, signup, seed } = await seededTeam(state, cfg.runs, log, {
      // the seeded runs a host holds fill the team's slots: the bench's own runs need one each
      maxConcurrentRuns: 100_000,
    });
    const url = server.url;
    const key = signup.api_key;
    const browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    state.onCleanup(() => browser.close());
    log(`chromium ${browser.version()}; signing in with the owner's API key`);
    // the returning user: signed in, the console's files in the HTTP cache after the first visit
    const warm = await signedIn(browser, url, key, cfg.viewport);
    const storageState = await warm.storageState();
    // the floor: the console's own index.html and stylesheet, with no script run
    const noJs = await browser.newContext({ baseURL: url, javaScriptEnabled: false });
    // the app alone: the sign-in page of a signed-out browser asks the API nothing
    const signedOut = await browser.newContext({ baseURL: url, viewport: cfg.viewport });

    log(`writing ${cfg.events.toLocaleString("en")} events into a run (the host protocol)`);
    const t0 = performance.now();
    const long = await EventHost.open(url, key, `web bench: ${cfg.events} events`);
    await long.fill(cfg.events);
    log(`written in ${round((performance.now() - t0) / 1000, 1)} s; last seq ${long.lastSeq}`);

    const auth = { authorization: `Bearer ${key}` };
    const listUrl = `${url}/api/v1/agent/runs?limit=${RUNS_PAGE_SIZE}`;
    const samples = {
      static_page_ms: [] as number[],
      app_boot_ms: [] as number[],
      runs_api_ms: [] as number[],
      me_api_ms: [] as number[],
      replay_from_node_ms: [] as number[],
      first_rows_ms: [] as number[],
      first_rows_painted_ms: [] as number[],
      first_rows_cold_ms: [] as number[],
      interactive_ms: [] as number[],
      interactive_last_event_ms: [] as number[],
      interactive_longest_task_ms: [] as number[],
      interactive_long_tasks: [] as number[],
      interactive_main_thread_cpu_ms: [] as number[],
      interactive_longest_task_cpu_ms: [] as number[],
    };
    const visits = {
      staticPage: () => navigationLoad(noJs, "/runs"),
      appBoot: () => firstMark(signedOut, "/sign-in", "#api-key"),
      firstRows: () => firstMark(warm, "/runs", FIRST_ROW),
      firstRowsCold: async () => {
        const cold = await browser.newContext({
          baseURL: url,
          viewport: cfg.viewport,
          storageState,
        });
        try {
          return await firstMark(cold, "/runs", FIRST_ROW);
        } finally {
          await cold.close();
        }
      },
      longRun: () =>
        interactiveVisit(browser, warm, `/runs/${long.runId}`, long.lastSeq, cfg.quiet_ms),
    };
    log("warming up: one visit of each kind, not counted");
    await visits.staticPage();
    await visits.appBoot();
    await visits.firstRows();
    await visits.longRun();
    await timeRequests(listUrl, auth, 5);
    await timeReplay(url, key, long.runId, long.lastSeq);

    const otherCpu = watchOtherCpu();
    // one of each per round, so the baselines and the pages see the same machine as it drifts
    for (let r = 0; r < cfg.samples; r++) {
      samples.static_page_ms.push(await visits.staticPage());
      samples.app_boot_ms.push((await visits.appBoot()).dom);
      samples.runs_api_ms.push(...(await timeRequests(listUrl, auth, 3)).times);
      samples.me_api_ms.push(...(await timeRequests(`${url}/api/v1/me`, auth, 3)).times);
      samples.replay_from_node_ms.push(await timeReplay(url, key, long.runId, long.lastSeq));
      const rows = await visits.firstRows();
      samples.first_rows_ms.push(rows.dom);
      samples.first_rows_painted_ms.push(rows.painted);
      samples.first_rows_cold_ms.push((await visits.firstRowsCold()).dom);
      const lr = await visits.longRun();
      samples.interactive_ms.push(lr.interactiveMs);
      samples.interactive_last_event_ms.push(lr.lastEventMs);
      samples.interactive_longest_task_ms.push(lr.longestTaskMs);
      samples.interactive_long_tasks.push(lr.longTasks);
      samples.interactive_main_thread_cpu_ms.push(lr.mainThreadCpuMs);
      samples.interactive_longest_task_cpu_ms.push(lr.longestTaskCpuMs);
      log(
        `round ${r + 1}/${cfg.samples}: static page ${round(samples.static_page_ms.at(-1)!, 0)} ms, ` +
          `first rows ${round(rows.dom, 0)} ms (cold ${round(samples.first_rows_cold_ms.at(-1)!, 0)}), ` +
          `interactive ${round(lr.interactiveMs, 0)} ms (last event in view at ${round(lr.lastEventMs, 0)}, ` +
          `${lr.longTasks} long tasks, longest ${round(lr.longestTaskMs, 0)} ms)`,
      );
    }

    const streams = [];
    for (let i = 0; i < cfg.streams; i++) {
      const s = await streamCase(browser, warm, url, key, cfg);
      streams.push(s);
      log(
        `stream ${i + 1}/${cfg.streams}: ${s.events} events in ${s.send_seconds} s into a run of ` +
          `${s.preloaded} events: ${s.long_tasks} long tasks, longest ${s.longest_task_ms} ms ` +
          `(by the trace: ${s.trace_longest_task_ms} ms, ${s.trace_longest_task_cpu_ms} ms of CPU; ` +
          `the main thread busy ${s.main_thread_cpu_ms_per_s} ms/s); ` +
          `last event on screen ${s.catch_up_ms} ms after it was acked`,
      );
    }
    const otherCpuSeconds = otherCpu();
    await long.close();

    const figures = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, stat(v)]),
    ) as Record<keyof typeof samples, Stat>;
    const streamTasks = streams.flatMap((s) => s.tasks_ms);
    const streaming = {
      longest_task_ms: stat(streams.map((s) => s.longest_task_ms)),
      long_tasks: stat(streams.map((s) => s.long_tasks)),
      catch_up_ms: stat(streams.map((s) => s.catch_up_ms)),
      trace_longest_task_cpu_ms: stat(streams.map((s) => s.trace_longest_task_cpu_ms)),
      main_thread_cpu_ms_per_s: stat(streams.map((s) => s.main_thread_cpu_ms_per_s)),
      all_long_tasks_ms: streamTasks.map((x) => round(x, 1)),
    };
    const floor = figures.static_page_ms.p50;
    const ratios = {
      first_rows_over_static_page: round(figures.first_rows_ms.p50 / floor, 2),
      first_rows_over_app_boot: round(figures.first_rows_ms.p50 / figures.app_boot_ms.p50, 2),
      first_rows_minus_app_boot_over_runs_api: round(
        (figures.first_rows_ms.p50 - figures.app_boot_ms.p50) / figures.runs_api_ms.p50,
        2,
      ),
      interactive_over_static_page: round(figures.interactive_ms.p50 / floor, 2),
      interactive_over_first_rows: round(figures.interactive_ms.p50 / figures.first_rows_ms.p50, 2),
      interactive_minus_app_boot_over_replay_from_node: round(
        (figures.interactive_ms.p50 - figures.app_boot_ms.p50) / figures.replay_from_node_ms.p50,
        2,
      ),
    };
    const longestStreamTask = Math.max(0, ...streamTasks);
    const targets = {
      first_rows_ms: {
        target: TARGETS.first_rows_ms,
        p50: figures.first_rows_ms.p50,
        max: figures.first_rows_ms.max,
        pass: figures.first_rows_ms.max < TARGETS.first_rows_ms,
      },
      interactive_ms: {
        target: TARGETS.interactive_ms,
        p50: figures.interactive_ms.p50,
        max: figures.interactive_ms.max,
        pass: figures.interactive_ms.max < TARGETS.interactive_ms,
      },
      streaming_longest_task_ms: {
        target: TARGETS.longest_task_ms,
        max: round(longestStreamTask, 1),
        pass: longestStreamTask <= TARGETS.longest_task_ms,
      },
      initial_js_kb_gzipped: { target: TARGETS.js_kb, value: jsKb, pass: jsKb < TARGETS.js_kb },
    };
    const report = {
      bench: "web",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: {
        ...machine,
        chromium: browser.version(),
        loadavg_at_end: os.loadavg().map((x) => round(x)),
        other_processes_cpu_s: otherCpuSeconds,
        state_fs: fsType(state.persistTo),
      },
      config: cfg,
      seed: { runs: seed.runs, by_state: seed.byState, seconds: round(seed.seconds, 1) },
      initial_js: { files: scripts, kb_gzipped: jsKb },
      figures,
      streaming: { ...streaming, cases: streams.map(({ tasks_ms: _, ...s }) => s) },
      ratios,
      targets,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `web-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

    console.log(`\n${table(figures, streaming)}\n`);
    const t = targets;
    console.log(
      [
        `first rows:    p50 ${t.first_rows_ms.p50} ms, max ${t.first_rows_ms.max} ms (target < ${TARGETS.first_rows_ms}) ${verdict(t.first_rows_ms.pass)}; ${ratios.first_rows_over_static_page}× the static page`,
        `interactive:   p50 ${t.interactive_ms.p50} ms, max ${t.interactive_ms.max} ms (target < ${TARGETS.interactive_ms}) ${verdict(t.interactive_ms.pass)}; ${ratios.interactive_over_static_page}× the static page`,
        `streaming:     longest task ${t.streaming_longest_task_ms.max} ms (target ≤ ${TARGETS.longest_task_ms}: no long task) ${verdict(t.streaming_longest_task_ms.pass)}`,
        `initial JS:    ${jsKb} KB gzipped (target < ${TARGETS.js_kb}) ${verdict(t.initial_js_kb_gzipped.pass)}`,
        `machine: ${machine.cpus} × ${machine.cpu_model}, load average ${machine.loadavg_at_start[0]} at start; ` +
          `other processes used ${otherCpuSeconds ?? "?"} CPU s while measuring (should be ~0)`,
        `results: ${path.relative(ROOT, file)}`,
      ].join("\n"),
    );
  } finally {
    await state.dispose();
  }
}

/** A browser context signed in with `key` (`POST /auth/sign-in`, as the sign-in page does). */
async function signedIn(
  browser: Browser,
  url: string,
  key: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: url, viewport });
  const res = await context.request.post("/auth/sign-in", {
    data: { api_key: key },
    headers: { origin: url },
  });
  if (res.status() !== 204)
    throw new Error(`sign-in answered ${res.status()}: ${await res.text()}`);
  return context;
}

/** A fresh page of `context` with the probe installed, watching `marks`. */
async function probedPage(context: BrowserContext, marks: Record<string, string>): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  await page.addInitScript(probe, marks);
  return page;
}

/** Navigation start → the load event of `path`, from the page's own navigation timing. */
async function navigationLoad(context: BrowserContext, path: string): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto(path, { waitUntil: "load" });
    return await page.evaluate(
      () =>
        (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).loadEventEnd,
    );
  } finally {
    await page.close();
  }
}

/** Navigation start → `selector` first in view (DOM, and painted). */
async function firstMark(context: BrowserContext, path: string, selector: string) {
  const page = await probedPage(context, { first: selector });
  try {
    await page.goto(path, { waitUntil: "commit" });
    await marked(page, "first", 30_000, "painted");
    const s = await probeState(page);
    return { dom: s.marks.first, painted: s.painted.first };
  } finally {
    await page.close();
  }
}

/** Navigation start → the run's last event in view and the main thread quiet for `quietMs`. */
async function interactiveVisit(
  browser: Browser,
  context: BrowserContext,
  path: string,
  lastSeq: number,
  quietMs: number,
) {
  const page = await probedPage(context, { last: seqSelector(lastSeq) });
  try {
    await browser.startTracing(page, { categories: ["disabled-by-default-devtools.timeline"] });
    await page.goto(path, { waitUntil: "commit" });
    const { state, interactiveMs } = await interactive(page, "last", quietMs, 120_000);
    // the quiet window's tasks are in the trace too: a few ms of timers and polls
    const traced = mainThreadTasks(await browser.stopTracing(), path);
    const tasks = tasksWithin(state, 0, interactiveMs + 1);
    return {
      mainThreadCpuMs: traced.reduce((sum, t) => sum + t.cpu, 0),
      longestTaskCpuMs: Math.max(0, ...traced.map((t) => t.cpu)),
      interactiveMs,
      lastEventMs: state.marks.last,
      longestTaskMs: Math.max(0, ...tasks),
      longTasks: tasks.length,
    };
  } finally {
    await page.close();
  }
}

/**
 * A run the page watches while its host writes `rate` events/s for `seconds`: the long tasks from
 * the moment the page was interactive until the last event is in view.
 */
async function streamCase(
  browser: Browser,
  context: BrowserContext,
  url: string,
  key: string,
  cfg: { events: number; stream_rate: number; stream_seconds: number; quiet_ms: number },
) {
  const host = await EventHost.open(url, key, "web bench: streaming");
  await host.fill(cfg.events);
  const preloaded = host.written;
  const page = await probedPage(context, { ready: seqSelector(host.lastSeq) });
  try {
    await page.goto(`/runs/${host.runId}`, { waitUntil: "commit" });
    await interactive(page, "ready", cfg.quiet_ms, 120_000);
    const from = (await probeState(page)).now;
    await browser.startTracing(page, { categories: ["disabled-by-default-devtools.timeline"] });
    const sent = await host.stream(cfg.stream_rate, cfg.stream_seconds);
    const ackedAt = Date.now();
    await watch(page, "end", seqSelector(host.lastSeq));
    await marked(page, "end", 60_000);
    const traced = mainThreadTasks(await browser.stopTracing(), host.runId);
    const s = await probeState(page);
    const tasks = tasksWithin(s, from);
    return {
      run_id: host.runId,
      preloaded,
      events: host.written - preloaded,
      send_seconds: round(sent.seconds, 2),
      longest_task_ms: round(Math.max(0, ...tasks), 1),
      long_tasks: tasks.length,
      // the same tasks from Chrome's trace: the longest by wall time, and by the thread's CPU time
      trace_longest_task_ms: round(Math.max(0, ...traced.map((t) => t.wall)), 1),
      trace_longest_task_cpu_ms: round(Math.max(0, ...traced.map((t) => t.cpu)), 1),
      trace_tasks_over_50ms_cpu: traced.filter((t) => t.cpu > 50).length,
      main_thread_cpu_ms_per_s: round(
        traced.reduce((sum, t) => sum + t.cpu, 0) / Math.max(0.001, sent.seconds),
        1,
      ),
      catch_up_ms: Math.max(0, s.wall.end - ackedAt),
      tasks_ms: tasks,
    };
  } finally {
    await page.close();
    await host.close();
  }
}

function table(figures: Record<string, Stat>, streaming: Record<string, Stat | number[]>) {
  const head = `${"figure".padEnd(36)}${"p50".padStart(10)}${"min".padStart(10)}${"max".padStart(10)}${"samples".padStart(9)}`;
  const row = (name: string, s: Stat) =>
    `${name.padEnd(36)}${String(s.p50).padStart(10)}${String(s.min).padStart(10)}${String(s.max).padStart(10)}${String(s.samples).padStart(9)}`;
  return [
    head,
    "-".repeat(head.length),
    ...Object.entries(figures).map(([k, s]) => row(k, s)),
    ...Object.entries(streaming)
      .filter((e): e is [string, Stat] => !Array.isArray(e[1]))
      .map(([k, s]) => row(`streaming ${k}`, s)),
  ].join("\n");
}

const log = (msg: string) => console.log(`• ${msg}`);
