// `npm run bench -- schedules`: how long one Cron Trigger tick takes to start the runs of 1,000 and
// 5,000 schedules due in the same minute, against the same number of runs created through the API
// on the same server. Writes bench/results/schedules-<timestamp>.json. See bench/README.md.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { treeCpuMs, watchOtherCpu } from "./lib/cpu.ts";
import { createRuns } from "./lib/create-runs.ts";
import { round } from "./lib/load.ts";
import { distinctCrons, seedSchedules } from "./lib/seed-schedules.ts";
import { benchState, type SignedUp, signUp } from "./lib/bench-state.ts";

type Team = SignedUp;

export async function benchSchedules(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      sizes: { type: "string", default: "1000,5000" },
      connections: { type: "string", default: "10" },
      "same-cron": { type: "boolean", default: false },
      timeout: { type: "string", default: "900" },
      keep: { type: "boolean", default: false },
    },
  });
  const sizes = o.sizes.split(",").map(Number);
  const connections = Number(o.connections);
  const state = benchState("schedules", o.keep!);
  const { persistTo, vars } = state;
  let server: DevServer | undefined;
  let db: DatabaseSync | undefined;
  state.onCleanup(async () => {
    db?.close();
    await server?.stop();
  });
  const started = new Date();
  try {
    log(`state in ${persistTo}; applying migrations`);
    await applyMigrations(persistTo, { quiet: true });
    server = await startDevServer({ persistTo, vars, logLevel: "warn" });
    const teams: Team[] = [];
    for (const n of sizes) teams.push(await signUp(server.url, `schedules-${n}`));
    const apiTeam = await signUp(server.url, "api-baseline");
    await server.stop();

    // Each size gets its own slot: Feb 29, 09:00, 10:00, … UTC (2028). After its tick a schedule's
    // next slot is later that day, after every size's tick (or four years later), so one size's
    // tick never starts another size's runs. Every schedule has its own cron unless --same-cron.
    const slots = sizes.map((_, k) => Date.UTC(2028, 1, 29, 9 + k));
    for (const [k, n] of sizes.entries()) {
      log(`seeding ${n.toLocaleString("en")} schedules due at ${new Date(slots[k]).toISOString()}`);
      const crons = o["same-cron"]
        ? [`0 ${9 + k} 29 2 *`]
        : distinctCrons(n, 9 + k, 9 + sizes.length);
      await seedSchedules({
        persistTo,
        teamId: teams[k].team.uid,
        ownerId: teams[k].user.uid,
        count: n,
        crons,
        nextRun: slots[k],
        tag: `size-${n}`,
      });
    }
    server = await startDevServer({ persistTo, vars, logLevel: "warn" });
    db = new DatabaseSync(d1File(persistTo), { readOnly: true });
    const countRuns = (teamId: string) =>
      (db!.prepare("SELECT count(*) AS n FROM runs WHERE team_id = ?").get(teamId) as { n: number })
        .n;

    // the floor: a tick with nothing due (still claims nothing, prunes idempotency records)
    const noop: number[] = [];
    for (let i = 0; i < 5; i++) noop.push(await tick(server.url, Date.UTC(2028, 1, 29, 8, i)));
    log(`no-op tick: ${round(median(noop))} ms (median of 5)`);

    const otherCpu = watchOtherCpu();
    const cases: Record<string, unknown>[] = [];
    for (const [k, n] of sizes.entries()) {
      // the baseline: the same number of runs created with POST /api/v1/agent/runs
      log(
        `baseline: ${n.toLocaleString("en")} runs through POST /api/v1/agent/runs at ${connections} connections`,
      );
      const before = countRuns(apiTeam.team.uid);
      const apiCpu0 = treeCpuMs(server.child.pid);
      const apiStart = performance.now();
      await createRuns(server.url, apiTeam.api_key, n, connections, (i) => ({
        prompt: `Benchmark task ${i}: triage new issues`,
        title: `baseline ${i}`,
        metadata: { bench: "api" },
      }));
      await until(() => countRuns(apiTeam.team.uid) - before >= n, Number(o.timeout));
      const apiSeconds = (performance.now() - apiStart) / 1000;
      const apiCpu = cpuDelta(apiCpu0, treeCpuMs(server.child.pid));

      log(`tick at ${new Date(slots[k]).toISOString()}: ${n.toLocaleString("en")} schedules due`);
      const cpu0 = treeCpuMs(server.child.pid);
      const t0 = performance.now();
      const tickMs = await tick(server.url, slots[k]);
      const progress: [number, number][] = [];
      await until(() => {
        const c = countRuns(teams[k].team.uid);
        progress.push([round((performance.now() - t0) / 1000, 1), c]);
        if (progress.length % 4 === 0)
          process.stdout.write(
            `\r  runs started: ${c.toLocaleString("en")} / ${n.toLocaleString("en")}`,
          );
        return c >= n;
      }, Number(o.timeout));
      const spawnSeconds = (performance.now() - t0) / 1000;
      const cpu = cpuDelta(cpu0, treeCpuMs(server.child.pid));
      process.stdout.write("\n");
      await new Promise((r) => setTimeout(r, 2_000)); // anything late would be a duplicate
      const check = db
        .prepare(
          `SELECT count(*) AS runs, count(DISTINCT r.schedule_id) AS schedules, sum(r.source = 'SCHEDULED_AGENT') AS scheduled,
           (SELECT count(*) FROM schedules s WHERE s.team_id = ?1 AND s.last_ran = ?2) AS history_updated,
           (SELECT count(*) FROM schedules s WHERE s.team_id = ?1 AND s.last_spawn_error IS NOT NULL) AS spawn_errors
         FROM runs r WHERE r.team_id = ?1`,
        )
        .get(teams[k].team.uid, slots[k]) as Record<string, number>;
      const result = {
        schedules_due: n,
        tick_ms: round(tickMs),
        spawn_seconds: round(spawnSeconds),
        runs_per_sec: round(n / spawnSeconds, 1),
        server_cpu_ms_per_run: cpu === null ? null : round(cpu / n),
        api_baseline: {
          runs: n,
          connections,
          seconds: round(apiSeconds),
          runs_per_sec: round(n / apiSeconds, 1),
          server_cpu_ms_per_run: apiCpu === null ? null : round(apiCpu / n),
        },
        ratios: {
          spawn_throughput_over_api: round(apiSeconds / spawnSeconds, 3),
          tick_over_noop_tick: round(tickMs / median(noop), 1),
          cpu_per_run_over_api: cpu === null || apiCpu === null ? null : round(cpu / apiCpu, 3),
        },
        check: {
          ...check,
          exactly_one_run_per_schedule: check.runs === n && check.schedules === n,
        },
        progress: progress.filter((_, i) => i % 4 === 0),
      };
      cases.push(result);
      log(
        `${n}: tick ${result.tick_ms} ms, all runs in ${result.spawn_seconds} s (${result.runs_per_sec} runs/s); API baseline ${result.api_baseline.seconds} s (${result.api_baseline.runs_per_sec} runs/s); ratio ${result.ratios.spawn_throughput_over_api}; one run per schedule: ${result.check.exactly_one_run_per_schedule}`,
      );
    }
    const report = {
      bench: "schedules",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model ?? "unknown",
        node: process.version,
        loadavg_at_start: os.loadavg().map((x) => round(x)),
        other_processes_cpu_s: otherCpu(),
      },
      config: { sizes, connections, distinct_crons: !o["same-cron"] },
      noop_tick_ms: { median: round(median(noop)), samples: noop.map((x) => round(x)) },
      cases,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `schedules-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `\n${"due".padStart(6)} ${"tick ms".padStart(8)} ${"spawn s".padStart(8)} ${"runs/s".padStart(7)} ${"API s".padStart(7)} ${"API runs/s".padStart(10)} ${"ratio".padStart(6)} ${"cpu/run".padStart(8)} ${"API cpu".padStart(8)}`,
    );
    for (const c of cases as any[]) {
      console.log(
        `${String(c.schedules_due).padStart(6)} ${String(c.tick_ms).padStart(8)} ${String(c.spawn_seconds).padStart(8)} ${String(c.runs_per_sec).padStart(7)} ${String(c.api_baseline.seconds).padStart(7)} ${String(c.api_baseline.runs_per_sec).padStart(10)} ${String(c.ratios.spawn_throughput_over_api).padStart(6)} ${String(c.server_cpu_ms_per_run).padStart(8)} ${String(c.api_baseline.server_cpu_ms_per_run).padStart(8)}`,
      );
    }
    console.log(
      `no-op tick ${report.noop_tick_ms.median} ms; other processes used ${report.machine.other_processes_cpu_s ?? "?"} CPU s (should be ~0)\nresults: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

/** Fires the Cron Trigger at `time`; resolves with how long the handler took (it answers when done). */
async function tick(url: string, time: number) {
  const t0 = performance.now();
  const res = await fetch(
    `${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${time}`,
  );
  const body = await res.text();
  if (res.status !== 200) throw new Error(`scheduled handler answered ${res.status}: ${body}`);
  return performance.now() - t0;
}

/** The local D1 database file of the `DB` binding under a `--persist-to` directory. */
function d1File(persistTo: string) {
  const dir = path.join(persistTo, "v3/d1/miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (!file) throw new Error(`no D1 database under ${dir}`);
  return path.join(dir, file);
}

async function until(check: () => boolean, timeoutS: number) {
  const deadline = Date.now() + timeoutS * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutS} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const cpuDelta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (msg: string) => console.log(`• ${msg}`);
