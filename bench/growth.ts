// `npm run bench -- growth`: what listing and creating runs cost as a team's run table grows.
// One state; the team is seeded straight into the local D1 up to each size in turn (the server
// stopped meanwhile), then, at each size: GET /healthz (the floor), the default list, the
// filtered list, and run creations, each sequentially, with the server's CPU per request and D1's
// rows read and written per request (the Worker's meter, AMBIT_METER=1), and the database file's
// size. Writes bench/results/growth-<timestamp>.json and prints a table. See bench/README.md.
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
  wrangler,
} from "../scripts/lib/wrangler-dev.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { cpuMeter, machineBusy, machineInfo } from "./lib/fanout-stats.ts";
import { round, summarizeSamples } from "./lib/load.ts";
import { fsType } from "./lib/machine.ts";
import { log } from "./lib/progress.ts";
import { seedRuns } from "./lib/seed.ts";

type Counts = Record<string, number>;

/** MAX_QUEUED_RUNS_PER_TEAM's default (src/env.ts) */
const QUEUED_CAP = 500;
/** runs of the seeded history left waiting: a long history is mostly ended runs */
const QUEUED_KEPT = 100;

/**
 * The seed's mix has 10 % of the team QUEUED, which at these sizes is a line far past the cap
 * (every creation would be 429): all but `QUEUED_KEPT` of them are made CANCELLED.
 */
async function trimLine(persistTo: string, teamId: string) {
  const sql =
    `UPDATE runs SET state = 'CANCELLED' WHERE team_id = '${teamId}' AND state = 'QUEUED' ` +
    `AND id NOT IN (SELECT id FROM runs WHERE team_id = '${teamId}' AND state = 'QUEUED' ` +
    `ORDER BY id DESC LIMIT ${QUEUED_KEPT})`;
  await wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", sql], {
    quiet: true,
  });
}

export async function benchGrowth(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      sizes: { type: "string", default: "10000,100000,1000000" },
      samples: { type: "string", default: "100" },
      keep: { type: "boolean", default: false },
    },
  });
  const sizes = o.sizes!.split(",").map(Number);
  if (sizes.some((s, i) => !Number.isInteger(s) || s < 0 || (i && s <= sizes[i - 1])))
    throw new Error(`--sizes must be increasing whole numbers (got ${o.sizes})`);
  const samples = Number(o.samples);
  const state = benchState("growth", o.keep!);
  // production's cap on a team's line (benches lift it): a creation counts the line up to it
  const vars = { ...state.vars, AMBIT_METER: "1", MAX_QUEUED_RUNS_PER_TEAM: String(QUEUED_CAP) };
  let server: DevServer | undefined;
  state.onCleanup(() => server?.stop());
  const started = new Date();
  const machine = {
    ...machineInfo(),
    fs: fsType(state.persistTo),
    busy_pct_before: await machineBusy(),
  };
  const start = () => startDevServer({ persistTo: state.persistTo, vars, logLevel: "warn" });
  try {
    await applyMigrations(state.persistTo, { quiet: true });
    server = await start();
    const signup = await signUp(server.url);
    const key = signup.api_key;
    const cases = [];
    let seeded = 0;
    for (const size of sizes) {
      await server.stop();
      const t0 = performance.now();
      if (size > seeded) {
        const seed = await seedRuns({
          persistTo: state.persistTo,
          teamId: signup.team.uid,
          creatorId: signup.user.uid,
          count: size - seeded,
          onProgress: (done, total) =>
            process.stdout.write(
              `\r  seeding: ${done.toLocaleString("en")} / ${total.toLocaleString("en")}`,
            ),
        });
        process.stdout.write("\n");
        seeded += seed.runs;
        await trimLine(state.persistTo, signup.team.uid);
      }
      const seedSeconds = round((performance.now() - t0) / 1000, 1);
      server = await start();
      log(`${seeded.toLocaleString("en")} runs seeded (${seedSeconds} s); measuring`);
      const at = atSize(server, key, samples);
      const result = {
        runs: seeded,
        seed_seconds: seedSeconds,
        d1_file_bytes: d1FileBytes(state.persistTo),
        healthz: await at("GET", "/healthz"),
        list_default: await at("GET", "/api/v1/agent/runs?limit=20"),
        list_queued: await at("GET", "/api/v1/agent/runs?state=QUEUED&limit=20"),
        create: await at("POST", "/api/v1/agent/runs"),
      };
      cases.push(result);
      log(
        `${seeded.toLocaleString("en")} runs: list p50 ${result.list_default.latency_ms.p50} ms ` +
          `(${result.list_default.d1_rows_read_per_request} rows read), create p50 ${result.create.latency_ms.p50} ms ` +
          `(${result.create.server_cpu_ms_per_request} ms cpu, ${result.create.d1_rows_read_per_request} rows read); ` +
          `D1 file ${round(result.d1_file_bytes / 2 ** 20, 1)} MiB`,
      );
    }
    const report = {
      bench: "growth",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machine, loadavg_at_end: os.loadavg().map((x) => round(x)) },
      config: { sizes, samples },
      cases,
      /** D1 bytes per run from the two largest sizes, and how many runs fit D1's 10 GB at that rate */
      extrapolation: extrapolate(cases),
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `growth-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `\n${table(cases)}\n\n${JSON.stringify(report.extrapolation)}\nresults: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

/** Measures `samples` sequential requests of one route at the current size. */
function atSize(server: DevServer, key: string, samples: number) {
  let n = 0;
  return async (method: string, route: string) => {
    const meter = async () => json<Counts>(await fetch(`${server.url}/api/__meter`), 200);
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const call = () =>
      fetch(`${server.url}${route}`, {
        method,
        headers,
        body: method === "POST" ? JSON.stringify({ prompt: `growth bench ${n++}` }) : undefined,
      });
    for (let i = 0; i < 5; i++) await (await call()).arrayBuffer(); // warm-up
    const m0 = await meter();
    const cpu = cpuMeter(server.child.pid);
    const times: number[] = [];
    let non2xx = 0;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const res = await call();
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      if (res.status > 299) non2xx++;
    }
    const usage = cpu();
    const m1 = await meter();
    const per = (k: string) => round(((m1[k] ?? 0) - (m0[k] ?? 0)) / samples, 2);
    return {
      ...summarizeSamples(times, non2xx),
      server_cpu_ms_per_request: round((1000 * usage.server_cpu_s) / samples, 2),
      d1_round_trips_per_request: per("d1.round_trips"),
      d1_rows_read_per_request: per("d1.rows_read"),
      d1_rows_written_per_request: per("d1.rows_written"),
      other_cpu_pct: usage.other_cpu_pct,
    };
  };
}

/** The local D1 database's SQLite files (with its WAL) under the state directory. */
function d1FileBytes(persistTo: string): number {
  let bytes = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.sqlite(-wal)?$/.test(e.name)) bytes += statSync(p).size;
    }
  };
  walk(path.join(persistTo, "v3", "d1"));
  return bytes;
}

function extrapolate(cases: { runs: number; d1_file_bytes: number }[]) {
  if (cases.length < 2) return null;
  const [a, b] = cases.slice(-2);
  const perRun = (b.d1_file_bytes - a.d1_file_bytes) / (b.runs - a.runs);
  return {
    d1_bytes_per_run: round(perRun),
    runs_in_10_gb: Math.floor(10e9 / perRun),
  };
}

function table(
  cases: {
    runs: number;
    d1_file_bytes: number;
    [k: string]: unknown;
  }[],
) {
  type R = {
    latency_ms: { p50: number; p99: number };
    server_cpu_ms_per_request: number;
    d1_rows_read_per_request: number;
  };
  const head = `${"runs".padStart(10)}${"D1 MiB".padStart(9)}  ${["healthz", "list", "list QUEUED", "create"].map((h) => h.padStart(26)).join("")}`;
  const sub = `${"".padStart(19)}  ${"p50 ms / cpu ms / rows".padStart(26).repeat(4)}`;
  const cell = (r: R) =>
    `${r.latency_ms.p50} / ${r.server_cpu_ms_per_request} / ${r.d1_rows_read_per_request}`.padStart(
      26,
    );
  return [
    head,
    sub,
    "-".repeat(head.length),
    ...cases.map(
      (c) =>
        `${c.runs.toLocaleString("en").padStart(10)}${round(c.d1_file_bytes / 2 ** 20, 1)
          .toString()
          .padStart(9)}  ${[c.healthz, c.list_default, c.list_queued, c.create]
          .map((r) => cell(r as R))
          .join("")}`,
    ),
  ].join("\n");
}
