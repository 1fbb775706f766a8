// `npm run bench -- gateway`: what the model gateway adds to a model call. One run is held (a bare
// host takes it, bench/lib/held-run.ts) with the scripted model server (test/fakes/model-server.ts)
// as its provider (the team's ANTHROPIC_BASE_URL / OPENAI_BASE_URL secrets). Streamed calls are
// made in turn straight to the model server, through a Worker that only passes the answer on
// (bench/passthrough: in a bare `workerd`, what the runtime costs, and in a `wrangler dev` of its
// own, what any Worker behind the local proxy costs) and through the gateway with the run's
// credential, twice: behind `wrangler dev` and in Miniflare with no dev proxy in front
// (bench/lib/miniflare-worker.ts, the shape a deployment has), each on state of its own, in the
// same run: time to first byte (p50/p99) of a short answer whose first event
// comes alone, as a model's first token does, and streamed tokens per second of a synthetic
// answer sent as fast as a socket allows and of one paced like a fast real model. The model
// server runs in a process of its own (bench/lib/model-process.ts). Writes
// bench/results/gateway-<timestamp>.json. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { heldRun } from "./lib/held-run.ts";
import { round } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";
import { type MiniflareWorker, startMiniflareWorker } from "./lib/miniflare-worker.ts";
import { type ModelProcess, startModelProcess } from "./lib/model-process.ts";
import { type BareWorkerd, startBareWorkerd } from "./passthrough/workerd.ts";

type Sample = { ttfbMs: number; totalMs: number; bytes: number; chunks: number };
/**
 * `gateway` is the platform's Worker behind `wrangler dev` (as `npm start` runs it), `miniflare`
 * the same Worker in Miniflare with no dev proxy in front (as a deployment is reached).
 */
type Target = "direct" | "workerd" | "passthrough" | "miniflare" | "gateway";
const TARGETS: Target[] = ["direct", "workerd", "passthrough", "miniflare", "gateway"];
type Hop = Exclude<Target, "direct">;
const HOPS: Hop[] = ["workerd", "passthrough", "miniflare", "gateway"];
const byHop = <T>(f: (h: Hop) => T) =>
  Object.fromEntries(HOPS.map((h) => [h, f(h)])) as Record<Hop, T>;

/** Characters per token of the scripted answers (the model server counts nothing itself). */
const CHARS_PER_TOKEN = 4;

export async function benchGateway(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      samples: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      /** characters of the streamed answer (the model server sends 5 per chunk) */
      text: { type: "string", default: "20000" },
      /** the paced answer: its characters, the wait before each 5-character delta, its samples */
      "paced-text": { type: "string", default: "1000" },
      "pace-ms": { type: "string", default: "5" },
      "paced-samples": { type: "string", default: "15" },
      /** the first-byte answer: its characters (paced as above) and its samples */
      "ttfb-text": { type: "string", default: "40" },
      "ttfb-samples": { type: "string", default: "200" },
      /** a CPU profile of the gateway's Worker over this many more synthetic calls per dialect */
      profile: { type: "string", default: "0" },
      keep: { type: "boolean", default: false },
    },
  });
  const samples = Number(o.samples);
  const warmup = Number(o.warmup);
  const pacedSamples = Number(o["paced-samples"]);
  const paceMs = Number(o["pace-ms"]);
  const profileCalls = Number(o.profile);
  const chars = {
    synthetic: Number(o.text),
    paced: Number(o["paced-text"]),
    first: Number(o["ttfb-text"]),
  };
  const n = { synthetic: samples, paced: pacedSamples, first: Number(o["ttfb-samples"]) };
  const state = benchState("gateway", o.keep!);
  let server: DevServer | undefined;
  let passthrough: DevServer | undefined;
  let bare: BareWorkerd | undefined;
  let mf: MiniflareWorker | undefined;
  let model: ModelProcess | undefined;
  state.onCleanup(async () => {
    await server?.stop();
    await passthrough?.stop();
    await bare?.stop();
    await mf?.stop();
    await model?.close();
  });
  const started = new Date();
  const loadAtStart = os.loadavg().map((x) => round(x));
  try {
    await applyMigrations(state.persistTo, { quiet: true });
    // Miniflare's own state: two runtimes must not share one Durable Object's storage
    const mfState = path.join(state.persistTo, "miniflare");
    await applyMigrations(mfState, { quiet: true });
    // a call whose body says `bench_answer: "paced"` or `"first"` gets that answer
    model = await startModelProcess({
      default: { chars: chars.synthetic },
      paced: { chars: chars.paced, paceMs },
      first: { chars: chars.first, paceMs },
    });
    server = await startDevServer({
      persistTo: state.persistTo,
      vars: state.vars,
      logLevel: "warn",
      inherit: true, // a failed call's log line (with its trace id) shows in the output
    });
    passthrough = await startDevServer({
      vars: { UPSTREAM: model.url },
      logLevel: "warn",
      extraArgs: ["--config", "bench/passthrough/wrangler.toml"],
    });
    bare = await startBareWorkerd(model.url);
    mf = await startMiniflareWorker({ persistTo: mfState, vars: state.vars });
    // a team on each platform, the same way, and a run each holds
    const run = await seedGatewayRun(server.url, model.url);
    const mfRun = await seedGatewayRun(mf.url, model.url);
    const token: Record<Target, string> = {
      direct: run.token,
      workerd: run.token,
      passthrough: run.token,
      miniflare: mfRun.token,
      gateway: run.token,
    };
    const dialects = {
      // the gateway streams the client's copy natively and reads usage from a tee
      anthropic: {
        provider: "anthropic",
        path: "/v1/messages",
        body: { model: "claude-sonnet-4-5", max_tokens: 10_000, stream: true, messages: [] },
      },
      // the client asks for the usage chunk, as the built-in harness and the AI SDK do: as above
      openai: {
        provider: "openai",
        path: "/v1/chat/completions",
        body: {
          model: "gpt-4.1",
          stream: true,
          stream_options: { include_usage: true },
          messages: [],
        },
      },
      // the client does not: the gateway asks and holds that chunk back, JavaScript on the path
      "openai-strip": {
        provider: "openai",
        path: "/v1/chat/completions",
        body: { model: "gpt-4.1", stream: true, messages: [] },
      },
    };
    const base: Record<Hop, string> = {
      workerd: bare.url,
      passthrough: passthrough.url,
      miniflare: mf.url,
      gateway: server.url,
    };
    const cases = [];
    for (const kind of ["first", "synthetic", "paced"] as const) {
      const tokens = Math.round(chars[kind] / CHARS_PER_TOKEN);
      const synthetic = kind === "synthetic";
      for (const [name, d] of Object.entries(dialects)) {
        const url: Record<Target, string> = {
          direct: `${model.url}${d.path}`,
          workerd: `${bare.url}${d.path}`,
          passthrough: `${passthrough.url}${d.path}`,
          miniflare: `${mf.url}/api/v1/gateway/${d.provider}${d.path}`,
          gateway: `${server.url}/api/v1/gateway/${d.provider}${d.path}`,
        };
        const body = JSON.stringify(synthetic ? d.body : { ...d.body, bench_answer: kind });
        const one = (t: Target) => retriedOnDrop(t, () => timedStream(url[t], body, token[t]));
        for (let i = 0; i < (kind === "paced" ? 2 : warmup); i++)
          for (const t of TARGETS) await one(t);
        const s = Object.fromEntries(TARGETS.map((t) => [t, []])) as unknown as Record<
          Target,
          Sample[]
        >;
        const hop = byHop((): Sample[] => []);
        // in turn, each sample starting with the next target, so a slow moment of the machine
        // falls on all alike
        for (let i = 0; i < n[kind]; i++) {
          for (let k = 0; k < TARGETS.length; k++) {
            const t = TARGETS[(i + k) % TARGETS.length];
            s[t].push(await one(t));
          }
          if (synthetic) for (const h of HOPS) hop[h].push(await timedGet(`${base[h]}/healthz`));
          if (i % 10 === 0) process.stdout.write(`\r  ${name} ${kind}: ${i} / ${n[kind]}`);
        }
        process.stdout.write("\n");
        const hops = synthetic ? hop : null;
        const c = summarize({ name, kind, samples: n[kind], tokens, s, hop: hops });
        cases.push(c);
        log(JSON.stringify(c));
      }
    }
    const profiles: Record<string, unknown> = {};
    if (profileCalls > 0)
      for (const [name, d] of Object.entries(dialects)) {
        const url = `${server.url}/api/v1/gateway/${d.provider}${d.path}`;
        const body = JSON.stringify(d.body);
        profiles[name] = await profileWorker(server.inspectorPort, async () => {
          for (let i = 0; i < profileCalls; i++) await timedStream(url, body, run.token);
        });
        log(`${name} profile: ${JSON.stringify(profiles[name])}`);
      }
    await run.release();
    await mfRun.release();
    const report = {
      bench: "gateway",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: {
        ...machineInfo(),
        loadavg_at_start: loadAtStart,
        loadavg_at_end: os.loadavg().map((x) => round(x)),
      },
      config: {
        samples,
        warmup,
        text_chars: chars.synthetic,
        paced: { samples: pacedSamples, text_chars: chars.paced, pace_ms: paceMs },
        first_byte: { samples: n.first, text_chars: chars.first, pace_ms: paceMs },
      },
      targets: { added_ttfb_p50_ms_under: 5, throughput_ratio_at_least: 0.95 },
      // `gateway`: behind `wrangler dev`'s proxy; `miniflare`: the same Worker without it
      targets_judged_on: ["gateway", "miniflare"],
      cases,
      /** calls made again after a keep-alive connection dropped under them, per target */
      dropped_connections: dropped,
      ...(profileCalls > 0 ? { profiles } : {}),
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `gateway-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    printTable(cases);
    console.log(`results: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

function summarize(o: {
  name: string;
  kind: "first" | "synthetic" | "paced";
  samples: number;
  tokens: number;
  s: Record<Target, Sample[]>;
  hop: Record<Hop, Sample[]> | null;
}) {
  const { s } = o;
  const ttfb = (t: Target) => stats(s[t].map((x) => x.ttfbMs));
  // tokens per second of the stream: the answer's output tokens over its whole time
  const tps = (t: Target) => round(o.tokens / (median(s[t].map((x) => x.totalMs)) / 1000), 0);
  const added = (t: Target) => ({
    p50: round(ttfb(t).p50 - ttfb("direct").p50),
    p99: round(ttfb(t).p99 - ttfb("direct").p99),
  });
  const ratio = (t: Target) => round(tps(t) / tps("direct"), 3);
  const met = (t: "gateway" | "miniflare") =>
    o.kind === "first" ? { added_ttfb_p50: added(t).p50 < 5 } : { throughput: ratio(t) >= 0.95 };
  return {
    case:
      o.kind === "synthetic" ? o.name : `${o.name} ${o.kind === "first" ? "first-byte" : o.kind}`,
    loadavg_at_end: round(os.loadavg()[0]),
    samples: o.samples,
    answer_bytes: median(s.gateway.map((x) => x.bytes)),
    output_tokens: o.tokens,
    ttfb_ms: Object.fromEntries(TARGETS.map((t) => [t, ttfb(t)])),
    added_ttfb_ms: byHop(added),
    // the gateway's own first-byte work: beyond what the plain Worker in between costs, behind
    // `wrangler dev`'s proxy and without it
    gateway_beyond_passthrough_ttfb_ms_p50: round(ttfb("gateway").p50 - ttfb("passthrough").p50),
    miniflare_beyond_workerd_ttfb_ms_p50: round(ttfb("miniflare").p50 - ttfb("workerd").p50),
    // a Worker route that does nothing (`/healthz`) through each server's local proxy hop
    ...(o.hop
      ? {
          hop_floor_ttfb_ms: byHop((h) => stats(o.hop![h].map((x) => x.ttfbMs))),
        }
      : {}),
    total_ms_p50: Object.fromEntries(
      TARGETS.map((t) => [t, round(median(s[t].map((x) => x.totalMs)))]),
    ),
    // how many pieces the client's reads got (the model server writes one per event)
    client_reads_p50: Object.fromEntries(
      TARGETS.map((t) => [t, median(s[t].map((x) => x.chunks))]),
    ),
    tokens_per_sec: Object.fromEntries(TARGETS.map((t) => [t, tps(t)])),
    throughput_ratio: {
      ...byHop(ratio),
      gateway_over_passthrough: round(tps("gateway") / tps("passthrough"), 3),
      miniflare_over_workerd: round(tps("miniflare") / tps("workerd"), 3),
    },
    // each target where it means what issue 24 asks: the first byte of an answer whose first
    // event comes alone, the throughput of a stream (both streams reported); behind `wrangler
    // dev` and in Miniflare without its proxy
    targets_met: { gateway: met("gateway"), miniflare: met("miniflare") },
  };
}

function printTable(cases: ReturnType<typeof summarize>[]) {
  const rows = cases.map((c) => ({
    case: c.case,
    "ttfb p50 d/wd/pt/mf/gw": TARGETS.map((t) => c.ttfb_ms[t].p50).join(" / "),
    "added mf/gw p50": `${c.added_ttfb_ms.miniflare.p50} / ${c.added_ttfb_ms.gateway.p50}`,
    "tok/s d/wd/pt/mf/gw": TARGETS.map((t) => c.tokens_per_sec[t]).join(" / "),
    "ratio wd/pt": `${c.throughput_ratio.workerd} / ${c.throughput_ratio.passthrough}`,
    "ratio mf/gw": `${c.throughput_ratio.miniflare} / ${c.throughput_ratio.gateway}`,
  }));
  console.table(rows);
}

/**
 * A team signed up on the platform at `url`, its provider secrets pointed at the model server, and
 * a run a bare host holds: its gateway credential.
 */
async function seedGatewayRun(url: string, modelUrl: string) {
  const team = await signUp(url, "gateway");
  for (const [name, value] of [
    ["ANTHROPIC_API_KEY", "sk-bench"],
    ["ANTHROPIC_BASE_URL", modelUrl],
    ["OPENAI_API_KEY", "sk-bench"],
    ["OPENAI_BASE_URL", `${modelUrl}/v1`],
  ]) {
    const res = await fetch(`${url}/api/v1/agent/secrets`, {
      method: "POST",
      headers: { authorization: `Bearer ${team.api_key}`, "content-type": "application/json" },
      body: JSON.stringify({ name, value }),
    });
    await json(res, 201);
  }
  const run = await heldRun({ url, key: team.api_key }, "gateway bench");
  if (!run.gatewayToken) throw new Error("the held run's assignment has no gateway credential");
  return { token: run.gatewayToken, release: run.release };
}

/**
 * Each target's connections dropped under a call (counted in the report): a local server closes
 * a keep-alive connection idle for about 5 s just as the client reuses it (undici's "other side
 * closed"), which the paced cases' turns (a second per call per target) run into. The call is
 * made again, once; a second drop in a row is a fault, and ends the bench.
 */
const dropped: Record<string, number> = {};

async function retriedOnDrop(t: Target, call: () => Promise<Sample>): Promise<Sample> {
  try {
    return await call();
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== "UND_ERR_SOCKET" && code !== "ECONNRESET") throw err;
    dropped[t] = (dropped[t] ?? 0) + 1;
    return call();
  }
}

/** One streamed call: time to its first body byte, and to its end. */
async function timedStream(url: string, body: string, token: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": token },
    body,
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  let ttfbMs = -1;
  let bytes = 0;
  let chunks = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (ttfbMs < 0) ttfbMs = performance.now() - t0;
    bytes += r.value.byteLength;
    chunks++;
  }
  return { ttfbMs, totalMs: performance.now() - t0, bytes, chunks };
}

/** A bare GET: time to its first body byte (the local hop to the Worker and back). */
async function timedGet(url: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(url);
  const reader = res.body!.getReader();
  const first = await reader.read();
  const ttfbMs = performance.now() - t0;
  let bytes = first.value?.byteLength ?? 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
  return { ttfbMs, totalMs: performance.now() - t0, bytes, chunks: 0 };
}

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};

/**
 * A V8 CPU profile of the Worker's isolate while `work` runs, through `wrangler dev`'s inspector
 * (Chrome DevTools Protocol `Profiler.start` / `stop`): the isolate's busy time and its top
 * functions by self time (their script and line), idle excluded.
 */
async function profileWorker(inspectorPort: number, work: () => Promise<void>) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl: string;
    title?: string;
  }[];
  const target = targets.find((t) => !/proxy/i.test(t.title ?? "")) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => ws.once("open", r).once("error", j));
  let id = 0;
  const pending = new Map<number, (v: any) => void>();
  ws.on("message", (m) => {
    const msg = JSON.parse(String(m));
    if (msg.id) pending.get(msg.id)?.(msg.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<any>((r) => {
      pending.set(++id, r);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  await call("Profiler.start");
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  const { profile } = (await call("Profiler.stop")) as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  ws.close();
  const self = new Map<number, number>();
  for (const [i, n] of profile.samples.entries())
    self.set(n, (self.get(n) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFn = new Map<string, number>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    const f = node.callFrame;
    if (f.functionName === "(idle)") continue;
    busyUs += us;
    const file = f.url.split("/").slice(-2).join("/");
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  return {
    wall_ms: round(wallMs),
    busy_ms: round(busyUs / 1000),
    top_self_ms: Object.fromEntries(
      [...byFn]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([k, us]) => [k, round(us / 1000)]),
    ),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.max(0, Math.ceil(p * s.length) - 1)];
  return {
    p50: round(pct(0.5)),
    p99: round(pct(0.99)),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

const log = (msg: string) => console.log(`[gateway] ${msg}`);
