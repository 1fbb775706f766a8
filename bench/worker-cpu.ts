// A V8 CPU profile of the Worker isolate (the Worker and its Durable Objects) over the life of N
// no-op runs, as `bench cost` lives them: created with POST /agent/runs, offered to one host of
// the platform pool, claimed, started and completed. Through wrangler dev's inspector port
// (Chrome DevTools Protocol: Profiler.start/stop). Prints the functions with the most self and
// total time and writes the profile (open it in Chrome DevTools) under bench/results/.
//
//   npm run bench -- worker-cpu [--runs 200] [--warmup 20] [--interval 200] [--rounds 3] [--baseline-requests 1000] [--unpinned] [--top 60] [--against <ref>] [--heap]
//
// By default the runtime workerd's JavaScript thread gets a core of its own while it is profiled
// (lib/pin.ts): unpinned, on 2 cores, it is taken off the core between samples, and neither
// counting samples nor weighting them by the gaps between them measures its CPU. Pinned, the
// samples come at a steady pace, a little slower than asked (the JSON's `gap_us`), so busy samples
// × that pace is the time the Worker's isolate ran. The main thread's own CPU time (/proc) is
// reported beside it: every isolate of the runtime (Miniflare's simulators too) and workerd's
// native work. Then, where Linux `perf` runs, as many runs again under `perf` alone
// (lib/perf-thread.ts) say how much of that thread is work only the local runtime does inside the
// Worker's calls: creating each new Durable Object's SQLite file within the call that first
// reaches it (`worker_less_local_object_creation_ms_per_run` takes it out). The V8 profile itself
// finds the other: Miniflare's wrapper of each Durable Object class, which writes the new
// object's name to a table of its own (`miniflare_wrapper_ms_per_run`);
// `worker_less_local_only_ms_per_run` takes out both.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import type { SourceMap } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { CONSOLE_DIST, ensureConsoleAssets } from "../scripts/lib/console-assets.ts";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { Api, poolSocketUrl, untilHosts } from "./dispatch.ts";
import { type BenchState, benchState, json, signUp } from "./lib/bench-state.ts";
import { BenchHost } from "./lib/dispatch-hosts.ts";
import { cpuMeter } from "./lib/fanout-stats.ts";
import { round } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";
import { NATIVE_BUCKETS, startPerf } from "./lib/perf-thread.ts";
import { type Pinning, pinRuntime, threadCpuSeconds } from "./lib/pin.ts";
import { bounded, log, sleep, until } from "./lib/progress.ts";
import { bundleSourceMap } from "./lib/v8-profile.ts";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
};
type Profile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

/** The script Miniflare wraps each Durable Object class in (locally only). */
const MINIFLARE_DO_WRAPPER = "__mf_do_wrapper.js";

type Target = { webSocketDebuggerUrl: string; title?: string };

/** A Chrome DevTools Protocol session with the Worker's isolate, through wrangler's inspector. */
async function cdp(inspectorPort: number) {
  const [target] = (await (
    await fetch(`http://127.0.0.1:${inspectorPort}/json`)
  ).json()) as Target[];
  if (!target) throw new Error("the inspector lists no target");
  // the proxy admits a local origin only
  const ws = new WebSocket(target.webSocketDebuggerUrl, {
    headers: { origin: "http://localhost" },
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  // the proxy opens a new connection to the runtime once a client attaches (what was sent before
  // went to the old one), and turns the debugger on, which slows the Worker several times over:
  // the profile wants it off
  await sleep(2000);
  let next = 1;
  const waiting = new Map<number, (r: unknown) => void>();
  ws.on("message", (raw) => {
    const m = JSON.parse(raw.toString()) as { id?: number; result?: unknown; error?: unknown };
    if (process.env.CDP_DEBUG) console.log("cdp <-", JSON.stringify(m).slice(0, 200));
    if (m.id === undefined) return;
    if (m.error) console.error("cdp error", m.error);
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  });
  return {
    title: target.title,
    send<T>(method: string, params: object = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((r) => waiting.set(id, r as (x: unknown) => void));
    },
    close: () => ws.close(),
  };
}

/** The bundle's line and column → the source's (file:line), where the bundle's map says. */
function sourceOf(map: SourceMap | null) {
  return (url: string, line: number, column: number) => {
    const e = url.endsWith("index.js")
      ? (map?.findEntry(line, column) as { originalSource?: string; originalLine?: number })
      : undefined;
    if (!e?.originalSource) return `${url.split("/").slice(-2).join("/")}:${line + 1}`;
    const src = e.originalSource.replace(
      /^.*?(node_modules\/|\/(?=(src|durable-objects|packages)\/))/,
      "$1",
    );
    return `${src}:${(e.originalLine ?? 0) + 1}`;
  };
}
const frameName = (f: CallFrame, source: ReturnType<typeof sourceOf>) =>
  `${f.functionName || "(anonymous)"} ${source(f.url, f.lineNumber, f.columnNumber)}`;

/** V8's sampling heap profile: a tree of call frames, each with the bytes allocated in it. */
type HeapNode = { callFrame: CallFrame; selfSize: number; children: HeapNode[] };

/**
 * `--heap`: what `runs` runs allocate in the Worker's isolate (V8's sampling heap profiler, one
 * sample per KB allocated on average): the bytes per run by the function that
 * allocated them, and by the first of our own functions (src/, durable-objects/) on its stack.
 * What drives the collector's share of the time.
 */
async function sampleAllocations(side: Side, map: SourceMap | null, runs: number, top_: number) {
  const session = await cdp(side.server.inspectorPort);
  await session.send("Debugger.disable");
  await session.send("HeapProfiler.enable");
  // every allocation, not only what is still alive when sampling stops
  await session.send("HeapProfiler.startSampling", {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await side.live(runs, "heap");
  await sleep(3000);
  const { profile } = await session.send<{ profile: { head: HeapNode } }>(
    "HeapProfiler.stopSampling",
  );
  session.close();
  const source = sourceOf(map);
  const bySelf = new Map<string, number>();
  const byOurs = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let total = 0;
  const walk = (n: HeapNode, ours: string | null) => {
    const name = frameName(n.callFrame, source);
    const here = /^\S+ \/?(src|durable-objects)\//.test(name) ? name : ours;
    if (n.selfSize) {
      total += n.selfSize;
      add(bySelf, name, n.selfSize);
      add(byOurs, here ?? "(none of ours)", n.selfSize);
    }
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head, null);
  const largest = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, n);
  const kb = (m: Map<string, number>) =>
    largest(m, top_)
      .map(([k, v]) => `${(v / 1024 / runs).toFixed(2).padStart(8)} KB/run  ${k}`)
      .join("\n");
  console.log(
    `\nallocated in the Worker's isolate (sampled): ${(total / 1024 / runs).toFixed(1)} KB/run` +
      `\nby the function that allocated:\n${kb(bySelf)}` +
      `\nby our innermost function on the stack:\n${kb(byOurs)}\n`,
  );
  return {
    kb_per_run: round(total / 1024 / runs, 2),
    by_function_kb_per_run: Object.fromEntries(
      largest(bySelf, 40).map(([k, v]) => [k, round(v / 1024 / runs, 2)]),
    ),
  };
}

/**
 * Self and total (inclusive, each function once per stack) time per function, in ms.
 * `spacing`: what one busy sample stands for (µs), given the median gap between two busy samples
 * in a row; the tables (self, total, lines, ours) are in those units.
 */
function attribute(p: Profile, spacing: (gapP50: number | null) => number, map: SourceMap | null) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const source = sourceOf(map);
  const name = (n: ProfileNode) => frameName(n.callFrame, source);
  /** self time by source line (V8's positionTicks: where in a function its samples fell) */
  const lines = new Map<string, number>();
  /** inclusive time by our source file (src/, durable-objects/, packages/) */
  const ours = new Map<string, number>();
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  /** Miniflare's wrapper of each Durable Object class (its name table's SQL): not a deployment's */
  let miniflareWrapper = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let weighted = 0;
  let counted = 0;
  const gaps: number[] = [];
  const isBusy = (id: number | undefined) =>
    id !== undefined && !["(idle)", "(root)"].includes(byId.get(id)!.callFrame.functionName);
  p.samples.forEach((id, i) => {
    if (!isBusy(id)) return;
    counted++;
    weighted += (p.timeDeltas[i + 1] ?? 0) / 1000; // a sample for the time to the next one
    if (isBusy(p.samples[i - 1])) gaps.push(p.timeDeltas[i]);
  });
  gaps.sort((a, b) => a - b);
  const q = (f: number) => gaps[Math.floor(f * (gaps.length - 1))] ?? null;
  const spacingUs = spacing(q(0.5));
  p.samples.forEach((id) => {
    // each sample stands for `spacingUs`
    const ms = spacingUs / 1000;
    const node = byId.get(id)!;
    add(self, name(node), ms);
    const ticks = node.positionTicks?.reduce((t, x) => t + x.ticks, 0) ?? 0;
    // a tick has a line, not a column: the line's last mapping (a bundle line is one statement)
    // a built-in's ticks are lines of the script that called it: its nearest caller with a url
    let script: ProfileNode | undefined = node;
    while (script && !script.callFrame.url) script = byId.get(parent.get(script.id)!);
    const url = script?.callFrame.url ?? "";
    if (url.endsWith(MINIFLARE_DO_WRAPPER)) miniflareWrapper += ms;
    const native = script !== node ? `${node.callFrame.functionName} @ ` : "";
    for (const t of ticks ? node.positionTicks! : [])
      add(lines, native + source(url, t.line - 1, 1e9), (ms * t.ticks) / ticks);
    const seen = new Set<string>();
    const files = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id)!)) {
      const k = name(n);
      if (!seen.has(k)) add(total, k, ms);
      seen.add(k);
      const file = /^\/?((?:src|durable-objects|packages)\/[^:]+):/.exec(
        source(n.callFrame.url, n.callFrame.lineNumber, n.callFrame.columnNumber),
      )?.[1];
      if (file) files.add(file);
    }
    // each of our files once per sample: what it and everything it called took
    for (const file of files) add(ours, file, ms);
  });
  return {
    spacingUs,
    self,
    total,
    lines,
    ours,
    miniflareWrapper,
    counted,
    weighted,
    /** µs between two consecutive samples both outside (idle): the interval, when on time */
    gap_us: { p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9), samples: gaps.length },
  };
}

const top = (m: Map<string, number>, n: number, runs: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / runs).toFixed(3).padStart(8)} ms/run  ${k}`)
    .join("\n");

type Options = {
  runs: number;
  warmup: number;
  intervalUs: number;
  concurrency: number;
  requests: number;
  unpinned: boolean;
};
type Attributed = ReturnType<typeof attribute>;

/**
 * One `wrangler dev` under measure, with its own state, team and host: this checkout's, or (with
 * `--against`) another commit's, from a worktree of it.
 */
type Side = {
  label: string;
  server: DevServer;
  /** its rounds' figures, and the last round's profile */
  rounds: Round[];
  last: { profile: Profile; attributed: Attributed } | null;
  /** the main thread in a round under `perf`, per run, and its native parts */
  perfThreadMs: number | null;
  native: Record<keyof typeof NATIVE_BUCKETS, number | null> | null;
  live(n: number, label: string): Promise<void>;
};
type Round = {
  worker_ms_per_run: number;
  miniflare_wrapper_ms_per_run: number;
  runtime_main_thread_ms_per_run: number | null;
  worker_ratio_to_healthz: number;
  healthz: { worker_ms_per_request: number | null; [k: string]: unknown };
  [k: string]: unknown;
};

async function startSide(
  label: string,
  root: string,
  state: BenchState,
  o: Options,
): Promise<Side> {
  const vars = { ...state.vars, HOST_HEARTBEAT_MS: "3600000" };
  await applyMigrations(state.persistTo, { quiet: true, root });
  const server = await startDevServer({ persistTo: state.persistTo, vars, logLevel: "warn", root });
  const host = new BenchHost("profile", 8);
  state.onCleanup(async () => {
    await host.close();
    await server.stop();
  });
  const signup = await signUp(server.url);
  const api = new Api(server.url, signup.api_key);
  await json(await api.call("PATCH", "/team", { limits: { max_concurrent_runs: 50 } }), 200);
  await host.connect(poolSocketUrl(server.url), signup.api_key);
  await untilHosts(api, 1);
  const live = async (n: number, what: string) => {
    const before = host.assignedAt.size;
    await bounded(n, o.concurrency, async (i) => {
      await api.createRun(`profile: ${what} ${i}`);
    });
    // wrangler dev reloads the Worker when one of its source files changes, which drops every socket
    const closed = host.closedEarly
      ? ` (its socket closed: ${host.closedEarly}; was a source file of the checkout edited meanwhile?)`
      : "";
    const what_ = `${n} runs assigned to ${label}'s host${closed}`;
    await until(() => host.assignedAt.size >= before + n, 60_000, what_, 20);
  };
  await live(o.warmup, "warm-up");
  return { label, server, rounds: [], last: null, perfThreadMs: null, native: null, live };
}

/**
 * A worktree of `ref` beside this checkout, sharing its `node_modules` (so its packages/ are
 * this checkout's, and its Worker's own code, src/ and durable-objects/, is the commit's) and
 * its built console. Removed at cleanup.
 */
function worktreeOf(ref: string, state: BenchState): { root: string; commit: string } {
  const root = path.join(state.persistTo, "tree");
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8", stdio: "pipe" }).trim();
  const commit = git("rev-parse", "--verify", `${ref}^{commit}`);
  git("worktree", "add", "--detach", root, commit);
  state.onCleanup(() => git("worktree", "remove", "--force", root));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
  ensureConsoleAssets();
  rmSync(path.join(root, "packages/web/dist"), { recursive: true, force: true });
  symlinkSync(CONSOLE_DIST, path.join(root, "packages/web/dist"));
  return { root, commit };
}

export async function benchWorkerCpu(argv: string[]) {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      interval: { type: "string", default: "200" },
      concurrency: { type: "string", default: "4" },
      top: { type: "string", default: "60" },
      rounds: { type: "string", default: "3" },
      "baseline-requests": { type: "string", default: "1000" },
      unpinned: { type: "boolean", default: false },
      against: { type: "string" },
      heap: { type: "boolean", default: false },
    },
  });
  const o: Options = {
    runs: Number(a.runs),
    warmup: Number(a.warmup),
    intervalUs: Number(a.interval),
    concurrency: Number(a.concurrency),
    requests: Number(a["baseline-requests"]),
    unpinned: a.unpinned,
  };
  const runs = o.runs;
  const state = benchState("worker-cpu", false);
  const other = a.against ? benchState("worker-cpu-against", false) : null;
  const startedAt = Date.now();
  try {
    const tree = other && a.against ? worktreeOf(a.against, other) : null;
    const sides = [await startSide("this checkout", ROOT, state, o)];
    if (tree && other) {
      log(
        `against ${a.against} (${tree.commit.slice(0, 12)}): its own wrangler dev, state and host`,
      );
      sides.push(
        await startSide(`${a.against} (${tree.commit.slice(0, 12)})`, tree.root, other, o),
      );
    }
    await sleep(3000);
    const map = bundleSourceMap(startedAt);
    const perRun = (ms: number | null) => (ms === null ? null : round(ms / runs, 3));
    // rounds of each side in turn, the order flipped each round (A B, B A, …): the machine's drift
    // falls on both alike
    for (let r = 0; r < Number(a.rounds); r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const pin = o.unpinned ? null : pinRuntime(side.server.child.pid!);
        if (!o.unpinned && !pin && r === 0)
          log("could not pin the runtime's thread (needs Linux, taskset, 2+ cores)");
        try {
          await measureRound(side, r, pin, map, o, sides.length > 1);
        } finally {
          pin?.unpin();
        }
      }
    }
    const heap = a.heap ? await sampleAllocations(sides[0], map, runs, Number(a.top)) : null;
    // then as many runs again under `perf`, V8's profiler off (each one's sampling slows the
    // thread: together they would skew both): how much of the thread is which native work
    for (const side of sides) {
      const pin = o.unpinned ? null : pinRuntime(side.server.child.pid!);
      const perf = pin ? startPerf(pin.runtimePid) : null;
      if (pin && perf) {
        log(`${side.label}: perf on the runtime's main thread, ${runs} runs`);
        const t0 = threadCpuSeconds(pin.runtimePid, pin.runtimePid);
        await side.live(runs, "perf");
        await sleep(3000);
        side.perfThreadMs = (threadCpuSeconds(pin.runtimePid, pin.runtimePid) - t0) * 1000;
        const shares = await perf.stop();
        side.native = shares
          ? (Object.fromEntries(
              Object.keys(NATIVE_BUCKETS).map((k) => [
                k,
                perRun(shares[k as keyof typeof NATIVE_BUCKETS] * side.perfThreadMs!),
              ]),
            ) as Side["native"])
          : null;
      }
      pin?.unpin();
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
    const summaryOf = (side: Side) => {
      const worker = median(side.rounds.map((x) => x.worker_ms_per_run));
      const localObjects = side.native?.local_object_creation ?? 0;
      const wrapper = median(side.rounds.map((x) => x.miniflare_wrapper_ms_per_run));
      /** each round less the local-only work: the object creation (perf's) and the wrapper (its own) */
      const deployedByRound = side.rounds.map((x) =>
        round(x.worker_ms_per_run - localObjects - x.miniflare_wrapper_ms_per_run, 3),
      );
      return {
        worker,
        localObjects,
        wrapper,
        deployed: round(worker - localObjects, 3),
        deployedOnly: round(worker - localObjects - wrapper, 3),
        deployedByRound,
        ratio: median(side.rounds.map((x) => x.worker_ratio_to_healthz)),
      };
    };
    const [cur, base] = sides;
    const c = summaryOf(cur);
    console.log(
      `\nthe Worker's isolate: median ${c.worker} ms/run over ${cur.rounds.length} rounds ` +
        `(${cur.rounds.map((x) => x.worker_ms_per_run).join(", ")}), ${c.ratio} × a /healthz request's` +
        (cur.native
          ? `; under perf (no V8 profiler) the runtime's main thread ${perRun(cur.perfThreadMs)} ms/run, ` +
            `of which creating Durable Objects locally ${c.localObjects} (inside the Worker's calls: ` +
            `a deployment does it elsewhere), fsync ${cur.native.fsync}, SQLite ${cur.native.sqlite_step}; ` +
            `the Worker's isolate less local object creation ${c.deployed} ms/run, and less ` +
            `Miniflare's wrapper of the objects (${c.wrapper}) too ${c.deployedOnly} ms/run`
          : "") +
        "\n",
    );
    // against the other commit: each round's ratio to the other side's round beside it in time
    const against = base
      ? (() => {
          const b = summaryOf(base);
          const ratios = (f: (side: Side, i: number) => number) =>
            cur.rounds.map((_, i) => round(f(cur, i) / f(base, i), 3));
          const worker = ratios((side, i) => side.rounds[i].worker_ms_per_run);
          const less = ratios((side, i) => summaryOf(side).deployedByRound[i]);
          const thread = ratios((side, i) => side.rounds[i].runtime_main_thread_ms_per_run ?? NaN);
          log(
            `against ${base.label}: the Worker's isolate ${b.worker} ms/run, less local-only work ` +
              `${b.deployedOnly}; this checkout ÷ it, round by round: ${worker.join(", ")} ` +
              `(less local-only work: ${less.join(", ")}; the runtime's main thread: ${thread.join(", ")})`,
          );
          return {
            ref: a.against,
            commit: tree?.commit,
            worker_ms_per_run: b.worker,
            worker_less_local_only_ms_per_run: b.deployedOnly,
            native_ms_per_run: base.native,
            rounds: base.rounds,
            /** this checkout ÷ the other, each round against the one beside it in time, and their medians */
            ratio: {
              worker_by_round: worker,
              worker_less_local_only_by_round: less,
              runtime_main_thread_by_round: thread,
              worker_median: median(worker),
              worker_less_local_only_median: median(less),
            },
          };
        })()
      : null;
    const { self, total, lines, ours } = cur.last!.attributed;
    const top_ = Number(a.top);
    console.log(`self time (last round):\n${top(self, top_, runs)}\n`);
    console.log(`total time (last round):\n${top(total, top_, runs)}\n`);
    console.log(`self time by source line (last round):\n${top(lines, top_, runs)}\n`);
    console.log(`our files, inclusive (last round):\n${top(ours, top_, runs)}\n`);
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = path.join(dir, `worker-cpu-${stamp}.cpuprofile`);
    writeFileSync(file, JSON.stringify(cur.last!.profile));
    const report = {
      bench: "worker-cpu",
      machine: machineInfo(),
      config: {
        runs,
        rounds: cur.rounds.length,
        interval_us: o.intervalUs,
        pinned: !o.unpinned,
        against: a.against ?? null,
      },
      /**
       * the Worker's isolate (requests, queue consumers, Durable Objects), ms per run, the median
       * of the rounds: busy samples × the round's `sample_spacing_us`; and less
       * `native_ms_per_run.local_object_creation`, which locally happens inside the Worker's
       * first call to each new object
       */
      worker_ms_per_run: c.worker,
      worker_less_local_object_creation_ms_per_run: c.deployed,
      /** and less Miniflare's wrapper of the objects (the rounds' median): what a deployment would do */
      worker_less_local_only_ms_per_run: c.deployedOnly,
      /** each round's, less its own wrapper time and the perf round's object creation */
      worker_less_local_only_by_round: c.deployedByRound,
      miniflare_wrapper_ms_per_run: c.wrapper,
      /** the median of the rounds' run life ÷ a GET /healthz request, both in the Worker's isolate */
      worker_ratio_to_healthz: c.ratio,
      /** each round: also the samples × the interval asked, and weighted by the time to the next sample */
      rounds: cur.rounds,
      /** the main thread in a round of as many runs under `perf` (no V8 profiler), and its parts (inclusive; null without perf) */
      perf_round_main_thread_ms_per_run: perRun(cur.perfThreadMs),
      native_ms_per_run: cur.native,
      /** `--against`: the other commit's figures, and this checkout's ÷ them */
      against,
      /** `--heap`: what a run allocates in the Worker's isolate, by function */
      heap,
      /** the last round's profile */
      self_ms_per_run: Object.fromEntries(
        [...self]
          .sort((x, y) => y[1] - x[1])
          .slice(0, 40)
          .map(([k, v]) => [k, perRun(v)]),
      ),
      /** the last round's: each of our files with what it called */
      ours_inclusive_ms_per_run: Object.fromEntries(
        [...ours]
          .sort((x, y) => y[1] - x[1])
          .slice(0, 60)
          .map(([k, v]) => [k, perRun(v)]),
      ),
      profile: path.relative(ROOT, file),
    };
    writeFileSync(file.replace(/\.cpuprofile$/, ".json"), `${JSON.stringify(report, null, 2)}\n`);
    log(`profile of the last round: ${path.relative(ROOT, file)} (summary beside it, .json)`);
  } finally {
    await other?.dispose();
    await state.dispose();
  }
}

/**
 * One round of a side: `runs` runs, then `requests` GET /healthz (the floor, same round), each
 * under V8's profiler with the side's runtime thread pinned (`pin`).
 */
async function measureRound(
  side: Side,
  r: number,
  pin: Pinning | null,
  map: SourceMap | null,
  o: Options,
  named: boolean,
) {
  const { server } = side;
  const runtimePid = pin?.runtimePid;
  const threadMsSince = () => {
    const t0 = runtimePid ? threadCpuSeconds(runtimePid, runtimePid) : 0;
    return () => (runtimePid ? (threadCpuSeconds(runtimePid, runtimePid) - t0) * 1000 : null);
  };
  const perRun = (ms: number | null) => (ms === null ? null : round(ms / o.runs, 3));
  const who = named ? `${side.label}, ` : "";
  /** `work` under V8's profiler: the Worker isolate's time, the runtime thread's, every server process's */
  const profiled = async (label: string, work: () => Promise<void>, pace?: number) => {
    const session = await cdp(server.inspectorPort);
    await session.send("Debugger.disable");
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: o.intervalUs });
    await session.send("Profiler.start");
    const samplers = pin?.pinNewThreads() ?? [];
    if (samplers.length)
      log(`${samplers.length} new thread(s) of the runtime (the sampler) off its core, real-time`);
    const thread = threadMsSince();
    const cpu = cpuMeter(server.child.pid);
    await work();
    await sleep(3000); // queued work (events, archive) after the last answer
    const { profile } = await session.send<{ profile: Profile }>("Profiler.stop");
    const threadMs = thread();
    const serverMs = cpu().server_cpu_s * 1000;
    session.close();
    // V8 samples later than asked (its sampler's own work): pinned, the gap between two samples
    // of a busy isolate is what one sample stands for; unpinned it is not (the thread was off
    // the core), and the interval asked is all there is. Work in short bursts (a /healthz
    // request) rarely has two samples in a row: it takes the pace measured on the runs
    const attributed = attribute(profile, (p50) => pace ?? (pin && p50 ? p50 : o.intervalUs), map);
    const spacingUs = attributed.spacingUs;
    log(`${label}: ${attributed.counted} samples in the Worker's isolate, ${spacingUs} µs apart`);
    return {
      profile,
      attributed,
      spacingUs,
      workerMs: (attributed.counted * spacingUs) / 1000,
      threadMs,
      serverMs,
    };
  };
  const life = await profiled(`${who}round ${r + 1}, ${o.runs} runs`, () =>
    side.live(o.runs, `round ${r}`),
  );
  // the floor, same round: GET /healthz answered by the Worker (no binding touched)
  const floor = await profiled(
    `${who}round ${r + 1}, ${o.requests} × GET /healthz`,
    () =>
      bounded(o.requests, o.concurrency, async () => {
        await json(await fetch(`${server.url}/healthz`), 200);
      }),
    life.spacingUs,
  );
  const perReq = (ms: number | null) => (ms === null ? null : round(ms / o.requests, 4));
  const round_: Round = {
    worker_ms_per_run: perRun(life.workerMs)!,
    sample_spacing_us: life.spacingUs,
    worker_at_interval_ms_per_run: perRun((life.attributed.counted * o.intervalUs) / 1000),
    worker_weighted_ms_per_run: perRun(life.attributed.weighted),
    /** Miniflare's wrapper of the Durable Object classes, and the natives it called */
    miniflare_wrapper_ms_per_run: perRun(life.attributed.miniflareWrapper)!,
    gap_us: life.attributed.gap_us,
    runtime_main_thread_ms_per_run: perRun(life.threadMs),
    /** every process of `wrangler dev` (the "srv cpu ms/run", profiler on) */
    server_ms_per_run: perRun(life.serverMs),
    healthz: {
      worker_ms_per_request: perReq(floor.workerMs),
      runtime_main_thread_ms_per_request: perReq(floor.threadMs),
      server_ms_per_request: perReq(floor.serverMs),
    },
    /** a run's life in /healthz requests, the Worker's isolate and every server process */
    worker_ratio_to_healthz: round(life.workerMs / o.runs / (floor.workerMs / o.requests), 1),
    /** the round's largest of our files, inclusive (rounds differ: compare them) */
    ours_inclusive_ms_per_run: Object.fromEntries(
      [...life.attributed.ours]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 15)
        .map(([k, v]) => [k, perRun(v)]),
    ),
    server_ratio_to_healthz: round(life.serverMs / o.runs / (floor.serverMs / o.requests), 1),
  };
  side.rounds.push(round_);
  side.last = { profile: life.profile, attributed: life.attributed };
  log(
    `${who}round ${r + 1}: the Worker's isolate ${round_.worker_ms_per_run} ms/run ` +
      `(${round_.worker_ratio_to_healthz} × a /healthz request's ${round_.healthz.worker_ms_per_request}); ` +
      `the runtime's main thread ${round_.runtime_main_thread_ms_per_run ?? "?"} ms/run; every ` +
      `server process ${round_.server_ms_per_run} ms/run (${round_.server_ratio_to_healthz} × /healthz)`,
  );
}
