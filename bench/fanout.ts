// `npm run bench -- fanout`: one run's live session under load. The run's host appends events at a
// fixed rate over its websocket while N viewers are attached; for each N we count what every
// viewer got (lost, duplicated, out of order by seq) and the delivery latency. Writes
// bench/results/fanout-<timestamp>.json and prints a table. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { round } from "./lib/load.ts";
import { verdict } from "./lib/report.ts";
import { Host, now, setOfferDeflate } from "./lib/fanout-clients.ts";
import { cpuMeter, machineBusy, machineInfo, summary } from "./lib/fanout-stats.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { heldRun } from "./lib/held-run.ts";
import { ViewerPool } from "./lib/viewer-pool.ts";

const TARGETS = { p99_ms: 100, at_viewers: 200, at_rate: 200 };

export async function benchFanout(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      viewers: { type: "string", default: "1,50,200" },
      rate: { type: "string", default: "200" },
      duration: { type: "string", default: "10" },
      drain: { type: "string", default: "10" },
      deflate: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      threads: { type: "string", default: String(os.cpus().length) },
    },
  });
  const cfg = {
    viewers: o.viewers!.split(",").map(Number),
    rate: Number(o.rate),
    duration_s: Number(o.duration),
    /** after sending, wait while events still arrive; stop after this many seconds with none */
    drain_timeout_s: Number(o.drain),
    events_per_append_frame: 1,
    /**
     * whether the sockets offered permessage-deflate. The deployed Worker refuses it
     * (`no_web_socket_compression`), but wrangler dev's proxy accepts it regardless, so by default
     * the viewers do not offer it: that is what runs in production (`--deflate` measures the other).
     */
    deflate_offered: o.deflate!,
    /** worker threads the viewer sockets are spread over (the host stays on the main thread) */
    viewer_threads: Number(o.threads),
  };
  await setOfferDeflate(cfg.deflate_offered);
  const state = benchState("fanout", o.keep!);
  const { persistTo, vars } = state;
  let server: DevServer | undefined;
  state.onCleanup(() => server?.stop());
  const started = new Date();
  const machine = { ...machineInfo(), busy_pct_before: await machineBusy() };
  if (machine.busy_pct_before > 20)
    log(
      `warning: the machine is already ${machine.busy_pct_before} % busy; the figures will be skewed (see cpu.other_cpu_pct)`,
    );
  try {
    log(`state in ${persistTo}; applying migrations`);
    await applyMigrations(persistTo, { quiet: true });
    server = await startDevServer({ persistTo, vars, logLevel: "warn" });
    const signup = await signUp(server.url);
    log(`wrangler dev on ${server.url}; signed up team ${signup.team.uid}`);
    const ctx = {
      url: server.url,
      apiKey: signup.api_key,
      teamId: signup.team.uid,
      secret: vars.JWT_SECRET,
      pgid: server.child.pid,
    };
    const cases = [];
    for (const n of cfg.viewers) cases.push(await fanoutCase(ctx, n, cfg));

    const at = cases.find((c) => c.viewers === TARGETS.at_viewers);
    const intact = cases.every(
      (c) =>
        c.lost === 0 && c.duplicates === 0 && c.out_of_order === 0 && c.delivered === c.expected,
    );
    const targets = {
      nothing_lost_or_reordered: intact,
      p99_ms_at_200_viewers: at?.latency_ms.p99 ?? null,
      p99_target_ms: TARGETS.p99_ms,
      p99_pass:
        at && cfg.rate === TARGETS.at_rate
          ? (at.latency_ms.p99 ?? Infinity) < TARGETS.p99_ms
          : null,
    };
    const report = {
      bench: "fanout",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machine, loadavg_at_end: os.loadavg().map((x) => round(x)) },
      config: cfg,
      cases,
      targets,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `fanout-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

    console.log(`\n${table(cases)}\n`);
    console.log(`nothing lost, duplicated or reordered:    ${verdict(intact)}`);
    console.log(
      `p99 at ${TARGETS.at_viewers} viewers, ${TARGETS.at_rate} events/s:      ${targets.p99_ms_at_200_viewers ?? "-"} ms (target < ${TARGETS.p99_ms} ms) ${targets.p99_pass === null ? "(not measured)" : verdict(targets.p99_pass)}`,
    );
    console.log(
      `machine: ${machine.cpus} × ${machine.cpu_model}, node ${machine.node}, load average ${machine.loadavg_at_start[0]} at start, ` +
        `${report.machine.loadavg_at_end[0]} at end. The load generator and the server share these ${machine.cpus} cores (cpu % columns).\n` +
        `results: ${path.relative(ROOT, file)}`,
    );
  } finally {
    await state.dispose();
  }
}

type Ctx = {
  url: string;
  apiKey: string;
  teamId: string;
  secret: string;
  pgid: number | undefined;
};
type Cfg = {
  rate: number;
  duration_s: number;
  drain_timeout_s: number;
  viewer_threads: number;
  deflate_offered: boolean;
};

/** One N: a fresh run, its host, N viewers, `rate × duration` events; the figures of what arrived. */
async function fanoutCase(ctx: Ctx, n: number, cfg: Cfg) {
  const auth = { authorization: `Bearer ${ctx.apiKey}` };
  // a bare host takes the run: its assignment's HOST token is what the bench's host attaches with
  const held = await heldRun({ url: ctx.url, key: ctx.apiKey }, `fanout bench: ${n} viewers`);
  const { runId } = held;
  const sessionUrl = (token: string) =>
    `${ctx.url.replace(/^http/, "ws")}/api/v1/agent/runs/${runId}/session?token=${encodeURIComponent(token)}`;
  log(`N=${n}: run ${runId}; attaching the host and ${n} viewer${n === 1 ? "" : "s"}`);

  // The host: the token of the run's assignment, as a real host attaches
  const host = new Host();
  await host.connect(sessionUrl(held.token));

  // Viewers: each mints its own attach token with the owner's API key, as a browser tab would; the
  // sockets are spread over worker threads (bench/lib/viewer-pool.ts)
  const connectStart = performance.now();
  const urls: string[] = [];
  await inBatches(
    Array.from({ length: n }, (_, i) => i),
    20,
    async () => {
      const { token } = await json<{ token: string }>(
        await fetch(`${ctx.url}/api/v1/agent/runs/${runId}/session-token`, {
          method: "POST",
          headers: auth,
        }),
        200,
      );
      urls.push(sessionUrl(token));
    },
  );
  const pool = new ViewerPool(urls, cfg.viewer_threads, cfg.deflate_offered);
  await pool.connect();
  // every join broadcasts presence: wait until each viewer has seen everyone, so joins are over
  await until(() => pool.attachedMin === n + 1, 30_000, `presence of ${n + 1} connections`);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  await sleep(300);
  log(
    `N=${n}: attached in ${round(connectSeconds)} s; appending ${cfg.rate} events/s for ${cfg.duration_s} s`,
  );

  const total = Math.round(cfg.rate * cfg.duration_s);
  const progress = (sent: number) => {
    const delivered = pool.deliveredSum;
    status(
      `  N=${n}: sent ${sent}/${total}, acked ${host.acked}, delivered ${delivered.toLocaleString("en")}/${(sent * n).toLocaleString("en")}`,
    );
  };
  const stopCpu = cpuMeter(ctx.pgid);
  const firstSend = now();
  const produced = await host.produce(cfg.rate, cfg.duration_s, progress);
  // drain: wait until every ack and every event arrived; give up after `drain` s without progress
  const drainStart = performance.now();
  const done = () => host.acked >= host.sent && pool.deliveredMin >= host.sent;
  for (
    let last = -1, lastAt = performance.now(), shown = performance.now();
    !done();
    await sleep(20)
  ) {
    const got = host.acked + pool.deliveredSum;
    if (got !== last) [last, lastAt] = [got, performance.now()];
    else if (performance.now() - lastAt > cfg.drain_timeout_s * 1000) break;
    if (performance.now() - shown >= 1000) {
      shown = performance.now();
      progress(total);
    }
  }
  const drainSeconds = (performance.now() - drainStart) / 1000;
  const cpu = stopCpu();
  const viewers = await pool.collect();
  progress(total);
  if (process.stdout.isTTY) process.stdout.write("\n");

  const lastDelivery = Math.max(...viewers.map((v) => v.lastAt));
  const dropped = [host, ...viewers].filter((c) => c.closedEarly);
  if (dropped.length) {
    log(
      `N=${n}: WARNING: the server closed ${dropped.length} socket(s) early (${dropped[0].closedEarly}); wrangler dev reloads when a source file changes: was the project edited while this ran?`,
    );
  }
  // expected: every event sent, at every viewer; `missing_acked` counts the ones the session
  // persisted (acked) that a viewer never got, which is loss proper rather than a backlog
  const expected = host.sent * n;
  const acked = new Set(host.seqs);
  const seen = viewers.map((v) => new Set(v.seen));
  let missingAcked = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let delivered = 0;
  let unexpected = 0;
  const latencies: number[] = [];
  const bySecond: number[][] = Array.from({ length: Math.ceil(cfg.duration_s) }, () => []);
  viewers.forEach((v, i) => {
    for (const seq of acked) if (!seen[i].has(seq)) missingAcked++;
    for (const seq of v.seen) if (!acked.has(seq)) unexpected++;
    duplicates += v.duplicates;
    outOfOrder += v.outOfOrder;
    delivered += v.delivered;
    v.latencies.forEach((l, k) => {
      latencies.push(l);
      bySecond[Math.min(bySecond.length - 1, Math.floor(v.indices[k] / cfg.rate))].push(l);
    });
  });
  const lastSeq = (
    await json<{ last_seq: number }>(
      await fetch(`${ctx.url}/api/v1/agent/runs/${runId}/events?limit=1`, { headers: auth }),
      200,
    )
  ).last_seq;
  await Promise.all([host.close(), pool.close()]);
  await held.release();

  const perViewer = viewers.map((v) => v.delivered);
  const frames = viewers.reduce((s, v) => s + v.frames, 0);
  const lost = expected - delivered;
  const result = {
    viewers: n,
    run_id: runId,
    rate_per_s: cfg.rate,
    events_sent: host.sent,
    events_acked: host.seqs.length,
    events_refused: host.refused.length,
    host_errors: host.errors.slice(0, 5),
    log_last_seq: lastSeq,
    send_seconds: round(produced.seconds, 3),
    send_lateness_ms: summary(produced.lateness_ms),
    expected,
    expected_per_viewer: host.sent,
    delivered,
    delivered_per_viewer: { min: Math.min(...perViewer), max: Math.max(...perViewer) },
    lost,
    missing_acked: missingAcked,
    duplicates,
    out_of_order: outOfOrder,
    unexpected_seqs: unexpected,
    viewers_closed_early: viewers.filter((v) => v.closedEarly).length,
    host_closed_early: host.closedEarly,
    host_unsent: host.unsent,
    latency_ms: summary(latencies),
    // by second of sending: where a tail comes from (a steady backlog, or one stall)
    latency_ms_by_second: bySecond.map((xs) => {
      const { p50, p99, max } = summary(xs);
      return { p50, p99, max };
    }),
    append_ack_ms: summary(host.ackLatencies),
    // from the first send to the last delivery, all viewers together
    events_per_sec_delivered: round(delivered / Math.max(0.001, (lastDelivery - firstSend) / 1000)),
    frames_per_sec_delivered: round(frames / Math.max(0.001, (lastDelivery - firstSend) / 1000)),
    events_per_frame: round(delivered / Math.max(1, frames)),
    // CPU the server's processes spent per event delivered to one viewer: steadier than latency
    // when other work competes for the machine, so the figure to compare code changes by
    server_cpu_us_per_event: round((1e6 * cpu.server_cpu_s) / Math.max(1, delivered), 1),
    viewer_threads: pool.size,
    attach_seconds: round(connectSeconds),
    drain_seconds: round(drainSeconds),
    cpu,
  };
  log(
    `N=${n}: delivered ${delivered.toLocaleString("en")}/${result.expected.toLocaleString("en")}, lost ${lost}, dup ${duplicates}, out of order ${outOfOrder}; ` +
      `latency p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms; server ${cpu.server_cpu_pct} % cpu (${Object.entries(
        cpu.server_cpu_pct_by_process,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}), bench ${cpu.bench_cpu_pct} %, other ${cpu.other_cpu_pct} %`,
  );
  return result;
}

function table(cases: Awaited<ReturnType<typeof fanoutCase>>[]) {
  const cols: [string, number, (c: (typeof cases)[number]) => string | number | null][] = [
    ["viewers", 8, (c) => c.viewers],
    ["sent", 7, (c) => c.events_sent],
    ["expected", 10, (c) => c.expected],
    ["delivered", 11, (c) => c.delivered],
    ["lost", 6, (c) => c.lost],
    ["dup", 5, (c) => c.duplicates],
    ["ooo", 5, (c) => c.out_of_order],
    ["p50 ms", 10, (c) => c.latency_ms.p50],
    ["p99 ms", 10, (c) => c.latency_ms.p99],
    ["max ms", 10, (c) => c.latency_ms.max],
    ["events/s", 10, (c) => c.events_per_sec_delivered],
    ["frames/s", 10, (c) => c.frames_per_sec_delivered],
    ["ack p99", 10, (c) => c.append_ack_ms.p99],
    ["cpu µs/ev", 11, (c) => c.server_cpu_us_per_event],
    ["srv cpu%", 10, (c) => c.cpu.server_cpu_pct],
    ["bench cpu%", 12, (c) => c.cpu.bench_cpu_pct],
    ["other cpu%", 12, (c) => c.cpu.other_cpu_pct],
  ];
  const head = cols.map(([h, w]) => h.padStart(w)).join("");
  return [
    head,
    "-".repeat(head.length),
    ...cases.map((c) => cols.map(([, w, f]) => String(f(c) ?? "-").padStart(w)).join("")),
  ].join("\n");
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function until(cond: () => boolean, timeoutMs: number, what: string, tick?: () => void) {
  const deadline = performance.now() + timeoutMs;
  let last = performance.now();
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
    if (tick && performance.now() - last > 1000) {
      last = performance.now();
      tick();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A progress line: rewritten in place on a terminal, one line per update otherwise. */
function status(line: string) {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line}`);
  else console.log(line);
}

const log = (msg: string) => console.log(`• ${msg}`);
