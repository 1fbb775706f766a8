// `npm run bench -- gateway`: what the model gateway adds to a model call. One run is held (a bare
// host takes it, bench/lib/held-run.ts) with the scripted model server (test/fakes/model-server.ts)
// as its provider (the team's ANTHROPIC_BASE_URL / OPENAI_BASE_URL secrets). Streamed calls are
// made alternately straight to the model server and through the gateway with the run's credential:
// time to first byte (p50/p99) and streamed tokens per second, direct against through, in the same
// run. Writes bench/results/gateway-<timestamp>.json. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { type ModelServer, startModelServer } from "../test/fakes/model-server.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { heldRun } from "./lib/held-run.ts";
import { round } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";

type Sample = { ttfbMs: number; totalMs: number; bytes: number };

export async function benchGateway(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      samples: { type: "string", default: "200" },
      warmup: { type: "string", default: "20" },
      /** characters of the streamed answer (the model server sends 5 per chunk) */
      text: { type: "string", default: "20000" },
      keep: { type: "boolean", default: false },
    },
  });
  const samples = Number(o.samples);
  const warmup = Number(o.warmup);
  const text = "x".repeat(Number(o.text));
  const state = benchState("gateway", o.keep!);
  let server: DevServer | undefined;
  let model: ModelServer | undefined;
  state.onCleanup(async () => {
    await server?.stop();
    await model?.close();
  });
  const started = new Date();
  try {
    await applyMigrations(state.persistTo, { quiet: true });
    model = await startModelServer(() => ({ text, usage: { input: 1000, output: 5000 } }));
    server = await startDevServer({
      persistTo: state.persistTo,
      vars: state.vars,
      logLevel: "warn",
      inherit: true, // a failed call's log line (with its trace id) shows in the output
    });
    const team = await signUp(server.url, "gateway");
    for (const [name, value] of [
      ["ANTHROPIC_API_KEY", "sk-bench"],
      ["ANTHROPIC_BASE_URL", model.url],
      ["OPENAI_API_KEY", "sk-bench"],
      ["OPENAI_BASE_URL", `${model.url}/v1`],
    ]) {
      const res = await fetch(`${server.url}/api/v1/agent/secrets`, {
        method: "POST",
        headers: { authorization: `Bearer ${team.api_key}`, "content-type": "application/json" },
        body: JSON.stringify({ name, value }),
      });
      await json(res, 201);
    }
    const run = await heldRun({ url: server.url, key: team.api_key }, "gateway bench");
    if (!run.gatewayToken) throw new Error("the held run's assignment has no gateway credential");
    const token = run.gatewayToken;
    const dialects = {
      anthropic: {
        path: "/v1/messages",
        body: { model: "claude-sonnet-4-5", max_tokens: 10_000, stream: true, messages: [] },
      },
      openai: {
        path: "/v1/chat/completions",
        body: { model: "gpt-4.1", stream: true, messages: [] },
      },
    };
    const cases = [];
    for (const [name, d] of Object.entries(dialects)) {
      const direct = `${model.url}${d.path}`;
      const through = `${server.url}/api/v1/gateway/${name}${d.path}`;
      const body = JSON.stringify(d.body);
      const one = (url: string) => timedStream(url, body, token);
      for (let i = 0; i < warmup; i++) {
        await one(direct);
        await one(through);
      }
      const a: Sample[] = [];
      const b: Sample[] = [];
      const f: Sample[] = [];
      // alternate, so a slow moment of the machine falls on both alike
      for (let i = 0; i < samples; i++) {
        a.push(await one(direct));
        b.push(await one(through));
        f.push(await timedGet(`${server.url}/healthz`));
        if (i % 20 === 0) process.stdout.write(`\r  ${name}: ${i} / ${samples}`);
      }
      process.stdout.write("\n");
      const ttfb = (s: Sample[]) => stats(s.map((x) => x.ttfbMs));
      // tokens per second of the stream: the answer's 5,000 output tokens over its whole time
      const tps = (s: Sample[]) => round(5000 / (median(s.map((x) => x.totalMs)) / 1000), 0);
      const c = {
        dialect: name,
        samples,
        answer_bytes: median(b.map((x) => x.bytes)),
        ttfb_ms: { direct: ttfb(a), gateway: ttfb(b) },
        added_ttfb_ms: {
          p50: round(ttfb(b).p50 - ttfb(a).p50),
          p99: round(ttfb(b).p99 - ttfb(a).p99),
        },
        // the floor: a Worker route that does nothing (`/healthz`) through the same local hop;
        // what the gateway adds beyond it is its own work
        hop_floor_ttfb_ms: ttfb(f),
        added_beyond_floor_ms_p50: round(ttfb(b).p50 - ttfb(a).p50 - ttfb(f).p50),
        total_ms_p50: {
          direct: round(median(a.map((x) => x.totalMs))),
          gateway: round(median(b.map((x) => x.totalMs))),
        },
        tokens_per_sec: { direct: tps(a), gateway: tps(b) },
        throughput_ratio: round(tps(b) / tps(a), 3),
      };
      cases.push(c);
      log(JSON.stringify(c));
    }
    await run.release();
    const report = {
      bench: "gateway",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: machineInfo(),
      config: { samples, warmup, text_chars: text.length },
      targets: { added_ttfb_p50_ms_under: 5, throughput_ratio_at_least: 0.95 },
      cases,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `gateway-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`results: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
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
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (ttfbMs < 0) ttfbMs = performance.now() - t0;
    bytes += r.value.byteLength;
  }
  return { ttfbMs, totalMs: performance.now() - t0, bytes };
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
  return { ttfbMs, totalMs: performance.now() - t0, bytes };
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
