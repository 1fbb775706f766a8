// V8 CPU profiles of a running `wrangler dev`'s isolates, taken through the Chrome DevTools
// Protocol, summarised by isolate, by source file and by function: which part of a run's server
// CPU is Ambit's own JavaScript, the libraries it bundles, workerd's built-ins, or Miniflare's
// local simulation of D1, Queues and the rest (each simulator is an isolate of its own in the
// runtime `workerd`). See bench/README.md ("Where the CPU goes: --profile").
//
// The Worker's isolate is reached through wrangler's inspector proxy (`--inspector-port`: workerd
// lets one session attach to an isolate and wrangler holds that one); the others straight through
// the runtime's own inspector, found among its listening sockets (/proc, Linux only).
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import WebSocket from "ws";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { round } from "./load.ts";

/** The isolates profiled by default: the Worker, Miniflare's entry, D1, the queue broker, R2, KV. */
export const DEFAULT_ISOLATES =
  /^(core:user:ambit|core:entry|d1:db(:entry)?|queues:queue(:ambit-(runs|events))?|assets:(router|rpc-proxy):ambit|r2:bucket(:entry)?|kv:ns(:entry)?)$/;
const WORKER = "core:user:ambit";

type CallFrame = {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
};
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; startTime: number; endTime: number };

type Session = {
  id: string;
  send: (method: string, params?: object) => Promise<{ result?: unknown; error?: unknown }>;
  close: () => void;
};

function connect(id: string, url: string): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, (m: never) => void>();
    let next = 0;
    const timer = setTimeout(() => reject(new Error(`inspector of ${id} did not open`)), 10_000);
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      pending.get(m.id)?.(m as never);
      pending.delete(m.id);
    });
    ws.on("error", reject);
    ws.on("open", () => {
      clearTimeout(timer);
      resolve({
        id,
        send: (method, params = {}) =>
          new Promise((done) => {
            const i = ++next;
            pending.set(i, done);
            ws.send(JSON.stringify({ id: i, method, params }));
          }),
        close: () => ws.close(),
      });
    });
  });
}

/** TCP ports `pid` listens on (its sockets against /proc/net/tcp{,6}). */
function listeningPorts(pid: number): number[] {
  const inodes = new Map<string, number>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"])
    for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === "0A") inodes.set(c[9], Number.parseInt(c[1].split(":")[1], 16)); // LISTEN
    }
  const ports: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) ports.push(inodes.get(m[1])!);
    } catch {
      /* closed meanwhile */
    }
  }
  return ports;
}

/** The runtime workerd's isolates (id → DevTools websocket URL), from its inspector's /json/list. */
async function runtimeTargets(pgid: number): Promise<Map<string, string>> {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmd.includes("workerd") || !cmd.includes("--inspector-addr")) continue;
    for (const port of listeningPorts(Number(pid))) {
      try {
        const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        if (Array.isArray(list) && list.some((t) => t.id === WORKER))
          return new Map(list.map((t) => [t.id as string, t.webSocketDebuggerUrl as string]));
      } catch {
        /* not the inspector */
      }
    }
  }
  throw new Error("found no workerd inspector in the server's process group");
}

/** The Worker's bundle source map, read while wrangler dev runs (it deletes it on exit). */
export function bundleSourceMap(since: number): SourceMap | null {
  const tmp = path.join(ROOT, ".wrangler/tmp");
  try {
    const dirs = readdirSync(tmp)
      .filter((d) => d.startsWith("dev-"))
      .map((d) => path.join(tmp, d, "index.js.map"))
      .filter((f) => {
        try {
          return statSync(f).mtimeMs >= since - 60_000;
        } catch {
          return false;
        }
      })
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    return dirs[0] ? new SourceMap(JSON.parse(readFileSync(dirs[0], "utf8"))) : null;
  } catch {
    return null;
  }
}

export type ProfileOptions = {
  /** the server's process group (wrangler dev's pid) and its `--inspector-port` */
  pgid: number;
  inspectorPort: number;
  startedAt: number;
  intervalUs: number;
  isolates?: RegExp;
};

/**
 * Starts V8's sampling profiler in each chosen isolate; `stop(units)` ends them and summarises
 * the samples per unit of work (e.g. per run). Profiling costs CPU itself: take it in a round of
 * its own, not in the one whose CPU is reported.
 */
export async function startProfiles(o: ProfileOptions) {
  const want = o.isolates ?? DEFAULT_ISOLATES;
  const urls = await runtimeTargets(o.pgid);
  // the Worker's isolate through wrangler's proxy: workerd takes one session per isolate
  urls.set(WORKER, `ws://127.0.0.1:${o.inspectorPort}/ws`);
  const sessions = await Promise.all(
    [...urls].filter(([id]) => want.test(id)).map(([id, url]) => connect(id, url)),
  );
  for (const s of sessions) {
    await s.send("Profiler.enable");
    await s.send("Profiler.setSamplingInterval", { interval: o.intervalUs });
  }
  await Promise.all(sessions.map((s) => s.send("Profiler.start")));
  const map = bundleSourceMap(o.startedAt);
  return {
    async stop(units: number) {
      const profiles = await Promise.all(
        sessions.map(async (s) => {
          const r = (await s.send("Profiler.stop")).result as { profile: Profile } | undefined;
          s.close();
          return [s.id, r?.profile] as const;
        }),
      );
      return summarise(profiles, o.intervalUs, units, map);
    },
  };
}

/** The bench's meter (`bench cost`), sampled in the Worker's isolate but no part of the product. */
const METER_FILE = "src/lib/meter.ts";

/** Where a frame's code comes from: ours (src/…, durable-objects/…, packages/…), a library, … */
function origin(f: CallFrame, id: string, map: SourceMap | null): { file: string; kind: string } {
  if (!f.url) {
    if (f.functionName === "(garbage collector)") return { file: "(gc)", kind: "gc" };
    if (f.functionName === "(program)") return { file: "(program)", kind: "program" };
    return { file: `(native) ${f.functionName}`, kind: "native" };
  }
  if (id === WORKER && map && f.url.endsWith("index.js")) {
    const e = map.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string };
    const src = e?.originalSource ? relativeSource(e.originalSource) : null;
    if (src) {
      const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src);
      // drizzle-orm's maps name `../../src/…` from its dist folders: `node_modules/src/…`
      if (lib)
        return {
          file: `node_modules/${lib[1] === "src" ? "drizzle-orm" : lib[1]}`,
          kind: "library",
        };
      if (/^(src|durable-objects|packages)\//.test(src)) return { file: src, kind: "ours" };
      return { file: src, kind: "wrangler" }; // wrangler's own middleware and shims
    }
  }
  if (/^(cloudflare-internal|node-internal|node):/.test(f.url) || !f.url.includes("/"))
    return { file: f.url.replace(/:.*$/, ":…").replace(/^(\w+)$/, "$1"), kind: "runtime" };
  return { file: path.basename(f.url), kind: id === WORKER ? "wrangler" : "simulator" };
}

function relativeSource(src: string): string {
  const p = src.replace(/^file:\/\//, "");
  const rel = path.isAbsolute(p) ? path.relative(ROOT, p) : p.replace(/^(\.\.\/)+/, "");
  return rel.replace(/^.*?node_modules\//, "node_modules/");
}

type Tally = Record<string, number>;
const add = (t: Tally, k: string, v: number) => void (t[k] = (t[k] ?? 0) + v);
const top = (t: Tally, n: number, scale: (v: number) => number) =>
  Object.fromEntries(
    Object.entries(t)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, scale(v)]),
  );

function summarise(
  profiles: (readonly [string, Profile | undefined])[],
  intervalUs: number,
  units: number,
  map: SourceMap | null,
) {
  const perUnitMs = (samples: number) => round((samples * intervalUs) / 1000 / units, 3);
  const isolates: Record<string, unknown> = {};
  let total = 0;
  const byIsolate: Tally = {};
  let worker: Record<string, unknown> = {};
  for (const [id, p] of profiles) {
    if (!p) continue;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const origins = new Map<number, ReturnType<typeof origin>>();
    const originOf = (n: number) => {
      if (!origins.has(n)) origins.set(n, origin(nodes.get(n)!.callFrame, id, map));
      return origins.get(n)!;
    };
    const byKind: Tally = {};
    const byFile: Tally = {};
    const byFunction: Tally = {};
    const inclusive: Tally = {};
    const byEntry: Tally = {};
    let busy = 0;
    let metering = 0;
    for (const s of p.samples) {
      const f = nodes.get(s)!.callFrame;
      if (f.functionName === "(idle)" || f.functionName === "(root)") continue;
      busy++;
      const o = originOf(s);
      add(byKind, o.kind, 1);
      add(byFile, o.file, 1);
      if (o.file === METER_FILE) metering++;
      if (o.kind !== "gc" && o.kind !== "program")
        add(byFunction, `${f.functionName || "(anonymous)"} ${o.file}`, 1);
      if (id !== WORKER) continue;
      // our files on the sample's stack: each counts the sample once (its inclusive time)
      const ours = new Set<string>();
      for (let n: number | undefined = s; n !== undefined; n = parent.get(n))
        if (originOf(n).kind === "ours") ours.add(originOf(n).file);
      for (const file of ours) add(inclusive, file, 1);
      const files = [...ours];
      add(
        byEntry,
        files.some((x) => x.startsWith("durable-objects/"))
          ? "durable_objects"
          : files.some((x) => x.startsWith("src/queues/"))
            ? "queue_consumers"
            : files.length
              ? "requests"
              : "no_frame_of_ours",
        1,
      );
    }
    if (!busy) continue;
    total += busy;
    byIsolate[id] = busy;
    const entry = {
      ms_per_unit: perUnitMs(busy),
      by_kind_ms_per_unit: top(byKind, 20, perUnitMs),
      by_file_ms_per_unit: top(byFile, id === WORKER ? 40 : 12, perUnitMs),
      by_function_ms_per_unit: top(byFunction, id === WORKER ? 40 : 12, perUnitMs),
    };
    if (id === WORKER)
      worker = {
        ...entry,
        /**
         * by what the stack runs in: a Durable Object's code, a queue consumer, else a request
         * (GC and V8's own work have no stack: `no_frame_of_ours`)
         */
        by_entry_ms_per_unit: top(byEntry, 10, perUnitMs),
        /**
         * the bench's own meter (AMBIT_METER=1, src/lib/meter.ts: its JavaScript, not the calls it
         * counts), which a deployment never runs, and the Worker's isolate without it
         */
        meter_ms_per_unit: perUnitMs(metering),
        without_meter_ms_per_unit: perUnitMs(busy - metering),
        /** each of our files' inclusive time (what it and everything it called took) */
        inclusive_by_file_ms_per_unit: top(inclusive, 60, perUnitMs),
        source_map: map !== null,
      };
    else isolates[id] = entry;
  }
  return {
    /** V8's sampling interval; each sample outside `(idle)` stands for that much isolate time */
    interval_us: intervalUs,
    units,
    sampled_ms_per_unit: perUnitMs(total),
    by_isolate_ms_per_unit: top(byIsolate, 50, perUnitMs),
    /** the Worker's own isolate: ours (src/, durable-objects/, packages/), libraries, runtime */
    worker,
    /** Miniflare's simulators and routers, each its own isolate in the runtime workerd */
    simulators: isolates,
  };
}
