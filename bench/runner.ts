// `npm run bench -- runner`: the host runner's own costs against a real `wrangler dev`:
// assignment → harness start (no repositories, no setup commands), events/s it forwards into a
// run's session, and its resident memory idle and with 4 runs. Each figure has a baseline measured
// in the same run (see bench/README.md). JSON in bench/results/runner-<timestamp>.json.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { processBackend } from "../packages/runner/src/backends/process.ts";
import { EventPipeline } from "../packages/runner/src/pipeline/events.ts";
import { Redactor } from "../packages/runner/src/pipeline/redact.ts";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { verdict } from "./lib/report.ts";
import { benchState, signUp } from "./lib/bench-state.ts";
import { heldRun } from "./lib/held-run.ts";

const TARGETS = { overhead_ms: 200, events_per_sec: 5_000, idle_rss_mb: 150 };
const WORKER = "bench-runner";

type Line = { t: number; msg: string; run?: string; ms?: number; state?: string };

export async function benchRunner(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      samples: { type: "string", default: "20" },
      events: { type: "string", default: "20000" },
      keep: { type: "boolean", default: false },
    },
  });
  const cfg = { samples: Number(o.samples), events: Number(o.events), concurrent_runs: 4 };
  const state = benchState("runner", o.keep!);
  const { persistTo, vars } = state;
  let server: DevServer | undefined;
  let child: ChildProcess | undefined;
  state.onCleanup(async () => {
    child?.kill("SIGKILL");
    await server?.stop();
  });
  const started = new Date();
  try {
    log(`state in ${persistTo}; applying migrations`);
    await applyMigrations(persistTo, { quiet: true });
    server = await startDevServer({ persistTo, vars, logLevel: "warn" });
    const signup = await signUp(server.url);
    const ctx = {
      url: server.url,
      key: signup.api_key,
      teamId: signup.team.uid,
      secret: vars.JWT_SECRET,
    };
    log(`wrangler dev on ${server.url}`);

    // baselines: a bare Node process's memory, spawning `true`, and a raw host client's append rate
    const bareRssMb = await bareNodeRss();
    const spawnMs = median(await repeat(cfg.samples, spawnTrueMs));
    const pipelineEps = pipelineEventsPerSec(cfg.events * 5);

    const lines: Line[] = [];
    const workdir = mkdtempSync(path.join(persistTo, "runner-"));
    child = spawn(
      process.execPath,
      [
        path.join(ROOT, "bench/lib/runner-child.ts"),
        ctx.url,
        WORKER,
        workdir,
        String(cfg.concurrent_runs),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, AMBIT_API_KEY: ctx.key },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) lines.push(JSON.parse(line));
      }
    });
    await until(() => lines.some((l) => l.msg === "ready"), 30_000, "the runner to connect");
    await new Promise((r) => setTimeout(r, 2_000));
    const idleRssMb = rssMb(child.pid!);
    log(`runner idle: ${idleRssMb} MB resident (bare node: ${bareRssMb} MB)`);

    // overhead: noop runs one at a time
    const overheads: number[] = [];
    for (let i = 0; i < cfg.samples; i++) {
      const runId = await createRun(ctx, "noop");
      await until(
        () => lines.some((l) => l.msg === "run_ended" && l.run === runId),
        30_000,
        `noop run ${i + 1}`,
      );
      overheads.push(lines.find((l) => l.msg === "harness_start" && l.run === runId)!.ms!);
    }
    log(`assignment → harness start: p50 ${round(median(overheads))} ms over ${cfg.samples} runs`);

    // events/s: one run emitting cfg.events messages, from the first emit until the run ended (all acknowledged)
    const emitRun = await createRun(ctx, `emit ${cfg.events}`);
    await until(
      () => lines.some((l) => l.msg === "run_ended" && l.run === emitRun),
      300_000,
      "the emitting run",
    );
    const t0 = lines.find((l) => l.msg === "emitting" && l.run === emitRun)!.t;
    const t1 = lines.find((l) => l.msg === "run_ended" && l.run === emitRun)!.t;
    const runnerEps = cfg.events / ((t1 - t0) / 1000);
    const stored = await lastSeq(ctx, emitRun);
    log(
      `runner forwarded ${cfg.events} events at ${Math.round(runnerEps)}/s (the session holds ${stored} events)`,
    );
    const rawEps = await rawAppendEventsPerSec(ctx, cfg.events);
    log(`raw host client: ${Math.round(rawEps)} events/s`);

    // memory with 4 runs held open
    const held: string[] = [];
    for (let i = 0; i < cfg.concurrent_runs; i++) held.push(await createRun(ctx, "hold"));
    await until(
      () => held.every((id) => lines.some((l) => l.msg === "harness_start" && l.run === id)),
      60_000,
      "4 runs to start",
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const busyRssMb = rssMb(child.pid!);
    for (const id of held)
      await fetch(`${ctx.url}/api/v1/agent/runs/${id}/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${ctx.key}` },
      });
    log(`runner with ${cfg.concurrent_runs} runs: ${busyRssMb} MB resident`);

    const figures = {
      overhead_ms: {
        p50: round(median(overheads)),
        p90: round(pct(overheads, 0.9)),
        max: round(Math.max(...overheads)),
        samples: overheads.length,
      },
      spawn_true_ms_p50: round(spawnMs),
      events: {
        sent: cfg.events,
        stored_in_session: stored,
        runner_events_per_sec: Math.round(runnerEps),
        raw_client_events_per_sec: Math.round(rawEps),
        pipeline_only_events_per_sec: Math.round(pipelineEps),
      },
      rss_mb: { runner_idle: idleRssMb, runner_with_4_runs: busyRssMb, bare_node_idle: bareRssMb },
    };
    const ratios = {
      overhead_over_spawn: round(figures.overhead_ms.p50 / spawnMs),
      runner_over_raw_client_events: round(runnerEps / rawEps),
      idle_rss_over_bare_node: round(idleRssMb / bareRssMb),
    };
    const targets = {
      overhead_ms_pass: figures.overhead_ms.p50 < TARGETS.overhead_ms,
      events_per_sec_pass: runnerEps > TARGETS.events_per_sec,
      idle_rss_pass: idleRssMb < TARGETS.idle_rss_mb,
    };
    const report = {
      bench: "runner",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model,
        node: process.version,
        loadavg: os.loadavg(),
      },
      config: cfg,
      figures,
      ratios,
      targets,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `runner-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`
assignment → harness start   p50 ${figures.overhead_ms.p50} ms (target < ${TARGETS.overhead_ms})  ${verdict(targets.overhead_ms_pass)}   = ${ratios.overhead_over_spawn} × spawning \`true\` (${figures.spawn_true_ms_p50} ms)
events forwarded             ${figures.events.runner_events_per_sec}/s (target > ${TARGETS.events_per_sec})  ${verdict(targets.events_per_sec_pass)}   = ${ratios.runner_over_raw_client_events} × a raw host client (${figures.events.raw_client_events_per_sec}/s); pipeline alone ${figures.events.pipeline_only_events_per_sec}/s
resident memory idle         ${idleRssMb} MB (target < ${TARGETS.idle_rss_mb})  ${verdict(targets.idle_rss_pass)}   = ${ratios.idle_rss_over_bare_node} × a bare node process (${bareRssMb} MB); with 4 runs ${busyRssMb} MB
results: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

async function createRun(ctx: { url: string; key: string }, prompt: string) {
  const res = await fetch(`${ctx.url}/api/v1/agent/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.key}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt, config: { worker_host: WORKER } }),
  });
  if (res.status !== 200) throw new Error(`create run: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { run_id: string }).run_id;
}

async function lastSeq(ctx: { url: string; key: string }, runId: string) {
  const res = await fetch(`${ctx.url}/api/v1/agent/runs/${runId}/events?after=0&limit=1`, {
    headers: { authorization: `Bearer ${ctx.key}` },
  });
  return ((await res.json()) as { last_seq: number }).last_seq;
}

/** The same events a runner sends, appended by a bare `ws` client with the same batching (500 a frame, 4 frames in flight). */
async function rawAppendEventsPerSec(
  ctx: { url: string; key: string; teamId: string; secret: string },
  n: number,
) {
  const held = await heldRun(ctx, "raw appends"); // a bare host holds it: its HOST token attaches
  const { runId, token } = held;
  const ws = new WebSocket(
    `${ctx.url.replace(/^http/, "ws")}/api/v1/agent/runs/${runId}/session?token=${encodeURIComponent(token)}`,
    { perMessageDeflate: false },
  );
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  const text = "x".repeat(100);
  let next = 1;
  let acked = 0;
  let inFlight = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < 4 && next <= n) {
        const events = [];
        for (let i = 0; i < 500 && next <= n; i++, next++)
          events.push({
            host_seq: next,
            type: "agent.message",
            payload: { text: `${next} ${text}` },
          });
        ws.send(JSON.stringify({ type: "append", ref: String(next - 1), events }));
        inFlight++;
      }
    };
    ws.on("message", (d) => {
      const f = JSON.parse(d.toString());
      if (f.type !== "ack") return;
      inFlight--;
      acked = Number(f.ref);
      if (acked >= n) resolve();
      else pump();
    });
    pump();
  });
  const secs = (performance.now() - t0) / 1000;
  ws.close();
  await held.release();
  return n / secs;
}

/** The runner's pipeline alone (redaction with 5 secrets, caps) into a sink: its ceiling on this machine. */
function pipelineEventsPerSec(n: number) {
  const secrets = Array.from({ length: 5 }, (_, i) => ({
    name: `SECRET_${i}`,
    value: randomBytes(16).toString("hex"),
  }));
  let count = 0;
  const p = new EventPipeline(new Redactor(secrets), () => count++);
  const text = "x".repeat(100);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) p.emit({ type: "agent.message", payload: { text: `${i} ${text}` } });
  return count / ((performance.now() - t0) / 1000);
}

async function spawnTrueMs() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ambit-bench-spawn-"));
  const t0 = performance.now();
  const p = processBackend(dir, { PATH: process.env.PATH! }).spawn("true", []);
  p.stdin.end();
  await p.wait();
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

async function bareNodeRss() {
  const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 1_500));
  const mb = rssMb(c.pid!);
  c.kill("SIGKILL");
  return mb;
}

function rssMb(pid: number) {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return m ? round(Number(m[1]) / 1024) : NaN;
}

async function repeat(n: number, fn: () => Promise<number>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

async function until(cond: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const median = (xs: number[]) => pct(xs, 0.5);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const round = (x: number) => Math.round(x * 100) / 100;
const log = (line: string) => console.log(`[runner bench] ${line}`);
