// A V8 CPU profile of the Worker isolate (the Worker and its Durable Objects) over the life of N
// no-op runs, as `bench cost` lives them: created with POST /agent/runs, offered to one host of
// the platform pool, claimed, started and completed. Through wrangler dev's inspector port
// (Chrome DevTools Protocol: Profiler.start/stop). Prints the functions with the most self and
// total time and writes the profile (open it in Chrome DevTools) under bench/results/.
//
//   node bench/lib/cpu-profile-dispatch.ts [--runs 200] [--warmup 20] [--interval 200]
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { applyMigrations, ROOT, startDevServer } from "../../scripts/lib/wrangler-dev.ts";
import { Api, poolSocketUrl, untilHosts } from "../dispatch.ts";
import { benchState, json, signUp } from "./bench-state.ts";
import { BenchHost } from "./dispatch-hosts.ts";
import { bounded, log, sleep, until } from "./progress.ts";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

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

/** Self and total (inclusive, each function once per stack) time per function, in ms. */
function attribute(p: Profile) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.split("/").slice(-2).join("/");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let all = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(id)!;
    all += ms;
    add(self, name(node), ms);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id)!)) {
      const k = name(n);
      if (!seen.has(k)) add(total, k, ms);
      seen.add(k);
    }
  });
  return { all, self, total };
}

const top = (m: Map<string, number>, n: number, runs: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / runs).toFixed(3).padStart(8)} ms/run  ${k}`)
    .join("\n");

async function main() {
  const { values: o } = parseArgs({
    options: {
      runs: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      interval: { type: "string", default: "200" },
      concurrency: { type: "string", default: "4" },
      top: { type: "string", default: "60" },
    },
  });
  const runs = Number(o.runs);
  const state = benchState("cpu-profile-dispatch", false);
  const vars = { ...state.vars, HOST_HEARTBEAT_MS: "3600000" };
  const server = await (async () => {
    await applyMigrations(state.persistTo, { quiet: true });
    return startDevServer({ persistTo: state.persistTo, vars, logLevel: "warn" });
  })();
  const host = new BenchHost("profile", 8);
  state.onCleanup(async () => {
    await host.close();
    await server.stop();
  });
  try {
    const signup = await signUp(server.url);
    const api = new Api(server.url, signup.api_key);
    await json(await api.call("PATCH", "/team", { limits: { max_concurrent_runs: 50 } }), 200);
    await host.connect(poolSocketUrl(server.url), signup.api_key);
    await untilHosts(api, 1);
    const live = async (n: number, label: string) => {
      const before = host.assignedAt.size;
      await bounded(n, Number(o.concurrency), async (i) => {
        await api.createRun(`profile: ${label} ${i}`);
      });
      await until(() => host.assignedAt.size >= before + n, 60_000, `${n} runs assigned`, 20);
    };
    await live(Number(o.warmup), "warm-up");
    await sleep(3000);
    const session = await cdp(server.inspectorPort);
    log(`profiling ${session.title ?? "the Worker"}: ${runs} runs`);
    await session.send("Debugger.disable");
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: Number(o.interval) });
    await session.send("Profiler.start");
    log("profiler started");
    await live(runs, "profiled");
    await sleep(3000); // the runs' queued work (events, archive) after their assignment
    const { profile } = await session.send<{ profile: Profile }>("Profiler.stop");
    session.close();
    const { all, self, total } = attribute(profile);
    const wall = (profile.endTime - profile.startTime) / 1000;
    const idle = self.get("(idle) :0") ?? 0;
    const busy = all - idle;
    console.log(
      `\nsampled ${all.toFixed(0)} ms over ${wall.toFixed(0)} ms; not idle ${busy.toFixed(0)} ms` +
        ` = ${(busy / runs).toFixed(2)} ms/run\n`,
    );
    console.log(`self time:\n${top(self, Number(o.top), runs)}\n`);
    console.log(`total time:\n${top(total, Number(o.top), runs)}\n`);
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = path.join(dir, `cpu-profile-dispatch-${stamp}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    log(`profile: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

await main();
