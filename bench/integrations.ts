// `npm run bench -- integrations`: GitHub deliveries in at a fixed rate (open loop, 50/s by
// default), each a signed mention from an OWNER on its own issue, to a `github` integration whose
// API base is the fake GitHub REST server (test/fakes/github-rest.ts, in this process: decide's
// reaction and thread read). Measures the inbound answer (acknowledged) and delivery → run QUEUED
// (the run row's created_at), against GET /healthz and POST /agent/runs at the same rate on the
// same server; then Slack app_mention events at the same rate (integrations-slack.ts): acknowledged
// (Slack's deadline 3 s) and event → first reply posted; then Linear agent sessions
// (integrations-linear.ts): acknowledged (Linear's deadline 5 s) and event → first activity
// posted (Linear wants one within 10 s). `--only slack|linear` runs one vendor case alone. Writes
// bench/results/integrations-<timestamp>.json. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { sign } from "@octokit/webhooks-methods";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { issueCommentPayload } from "../test/fakes/github-payloads.ts";
import { type FakeGitHubRest, startFakeGitHubRest } from "../test/fakes/github-rest.ts";
import { startFakeLinear } from "../test/fakes/linear-graphql.ts";
import { startFakeSlackWebApi } from "../test/fakes/slack-web-api.ts";
import { benchLinear, LINEAR_KEY } from "./integrations-linear.ts";
import { benchSlack, SLACK_BOT_TOKEN } from "./integrations-slack.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { treeCpuMs, watchOtherCpu } from "./lib/cpu.ts";
import { round } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";
import { openLoop, type Sent } from "./lib/open-loop.ts";

const PAT = "ghp_bench_token";
const SECRET = "bench-webhook-secret";

export async function benchIntegrations(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      rate: { type: "string", default: "50" },
      deliveries: { type: "string", default: "500" },
      timeout: { type: "string", default: "120" },
      keep: { type: "boolean", default: false },
      /** `slack` or `linear`: that case only (skips the floor, POST /agent/runs, GitHub, the other) */
      only: { type: "string" },
    },
  });
  if (o.only !== undefined && o.only !== "slack" && o.only !== "linear")
    throw new Error(`--only ${o.only}: expected slack or linear`);
  const vendorOnly = o.only !== undefined;
  const runSlack = o.only !== "linear";
  const runLinear = o.only !== "slack";
  const rate = Number(o.rate);
  const n = Number(o.deliveries);
  const state = benchState("integrations", o.keep!);
  let server: DevServer | undefined;
  let rest: FakeGitHubRest | undefined;
  let slack: Awaited<ReturnType<typeof startFakeSlackWebApi>> | undefined;
  let linear: Awaited<ReturnType<typeof startFakeLinear>> | undefined;
  state.onCleanup(async () => {
    await server?.stop();
    await rest?.close();
    await slack?.close();
    await linear?.close();
  });
  const started = new Date();
  try {
    await applyMigrations(state.persistTo, { quiet: true });
    rest = await startFakeGitHubRest({ pat: PAT, botLogin: "ambit[bot]" });
    slack = await startFakeSlackWebApi({ token: SLACK_BOT_TOKEN, botUserId: "UBOT" });
    linear = await startFakeLinear({ apiKey: LINEAR_KEY });
    server = await startDevServer({
      persistTo: state.persistTo,
      // every run waits in line (no host serves its pool): the team may hold all of them
      vars: {
        ...state.vars,
        MAX_QUEUED_RUNS_PER_TEAM: "1000000",
        SLACK_API_URL: slack.url,
        LINEAR_API_URL: linear.url,
        PUBLIC_URL: "https://ambit.bench.test",
      },
      logLevel: "warn",
    });
    const url = server.url;
    const team = await signUp(url, "integrations");
    const auth = { authorization: `Bearer ${team.api_key}`, "content-type": "application/json" };
    const integration = await json<{ uid: string }>(
      await fetch(`${url}/api/v1/integrations`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          type: "github",
          name: "bench",
          credentials: { token: PAT, webhook_secret: SECRET },
          settings: { api_base_url: rest.url, bot_login: "ambit[bot]" },
          run_defaults: { worker_host: "bench-nobody" },
        }),
      }),
      201,
    );
    const inbound = `${url}/api/v1/integrations/${integration.uid}/events`;
    const otherCpu = watchOtherCpu();

    // warm-up: the isolate, the queue consumer and D1 statements, outside the figures
    await openLoop(20, rate, (i) => deliver(inbound, `warm-${i}`, 100_000 + i));
    await openLoop(20, rate, () => fetch(`${url}/healthz`));
    await settle(url, auth, 20, Number(o.timeout));

    const m = vendorOnly ? 0 : n;
    log(`GET /healthz: ${m} at ${rate}/s`);
    const healthz = await openLoop(m, rate, () => fetch(`${url}/healthz`));

    log(`POST /agent/runs: ${m} at ${rate}/s`);
    const cpuApi0 = treeCpuMs(server.child.pid);
    const api = await openLoop(m, rate, (i) =>
      fetch(`${url}/api/v1/agent/runs`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ prompt: `bench ${i}`, config: { worker_host: "bench-nobody" } }),
      }),
    );
    const cpuApi1 = treeCpuMs(server.child.pid);

    log(`GitHub deliveries: ${m} at ${rate}/s`);
    const ids = Array.from({ length: m }, () => crypto.randomUUID());
    const cpu0 = treeCpuMs(server.child.pid);
    const acks = await openLoop(m, rate, (i) => deliver(inbound, ids[i], i + 1));
    const queued = await settle(url, auth, m + 20, Number(o.timeout));
    const cpu1 = treeCpuMs(server.child.pid);
    const sentAt = new Map(ids.map((id, i) => [id, acks[i].at]));
    const toQueued = ids
      .map((id) => {
        const created = queued.get(id);
        return created === undefined ? undefined : created - sentAt.get(id)!;
      })
      .filter((x): x is number => x !== undefined);

    const me = await json<{ user: { email: string } }>(
      await fetch(`${url}/api/v1/me`, { headers: auth }),
      200,
    );
    const vendor = { url, auth, ownerEmail: me.user.email, rate, timeoutS: Number(o.timeout) };
    const sn = runSlack ? n : 0;
    log(`Slack events: ${sn} at ${rate}/s`);
    const cpuSlack0 = treeCpuMs(server.child.pid);
    const sl = runSlack
      ? await benchSlack({ ...vendor, slack, n: sn })
      : { acks: [], toReply: [], slackCallsPerEvent: 0 };
    const cpuSlack1 = treeCpuMs(server.child.pid);
    const ln = runLinear ? n : 0;
    log(`Linear agent sessions: ${ln} at ${rate}/s`);
    const cpuLinear0 = treeCpuMs(server.child.pid);
    const li = runLinear
      ? await benchLinear({ ...vendor, linear, n: ln })
      : { acks: [], toFirst: [], linearCallsPerDelivery: 0 };
    const cpuLinear1 = treeCpuMs(server.child.pid);

    const report = {
      bench: "integrations",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machineInfo(), other_processes_cpu_s: otherCpu() },
      config: { rate, deliveries: n },
      healthz: figures(
        healthz.map((x) => x.ms),
        healthz,
      ),
      api_run_created: {
        ...figures(
          api.map((x) => x.ms),
          api,
        ),
        server_cpu_ms_per_run: perItem(cpuApi0, cpuApi1, m),
      },
      delivery_acknowledged: figures(
        acks.map((x) => x.ms),
        acks,
      ),
      delivery_to_run_queued: {
        ...stats(toQueued),
        runs: toQueued.length,
        missing: m - toQueued.length,
      },
      server_cpu_ms_per_delivery: perItem(cpu0, cpu1, m),
      github_calls_per_delivery: round(rest.calls.length / (m + 20), 2),
      slack_event_acknowledged: {
        ...figures(
          sl.acks.map((x) => x.ms),
          sl.acks,
        ),
        deadline_ms: 3000,
      },
      slack_event_to_first_reply: {
        ...stats(sl.toReply),
        replies: sl.toReply.length,
        missing: sn - sl.toReply.length,
      },
      slack_server_cpu_ms_per_event: perItem(cpuSlack0, cpuSlack1, sn),
      slack_calls_per_event: round(sl.slackCallsPerEvent, 2),
      linear_delivery_acknowledged: {
        ...figures(
          li.acks.map((x) => x.ms),
          li.acks,
        ),
        deadline_ms: 5000,
      },
      linear_event_to_first_activity: {
        ...stats(li.toFirst),
        within_10s: li.toFirst.filter((ms) => ms <= 10_000).length,
        sessions: li.toFirst.length,
        missing: ln - li.toFirst.length,
      },
      linear_server_cpu_ms_per_delivery: perItem(cpuLinear0, cpuLinear1, ln),
      linear_calls_per_delivery: round(li.linearCallsPerDelivery, 2),
    };
    console.table({
      "GET /healthz": row(report.healthz),
      "POST /agent/runs": row(report.api_run_created),
      "delivery acknowledged": row(report.delivery_acknowledged),
      "delivery → QUEUED": row(report.delivery_to_run_queued),
      "Slack event acknowledged": row(report.slack_event_acknowledged),
      "Slack event → first reply": row(report.slack_event_to_first_reply),
      "Linear acknowledged": row(report.linear_delivery_acknowledged),
      "Linear → first activity": row(report.linear_event_to_first_activity),
    });
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `integrations-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    console.log(`results: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

/** One signed `issue_comment`: an OWNER's mention on issue `number` (a thread of its own). */
async function deliver(inbound: string, deliveryId: string, number: number) {
  const body = JSON.stringify(
    issueCommentPayload({
      repo: "acme/widgets",
      number,
      body: "@ambit please fix this",
      commentId: 1_000_000 + number,
    }),
  );
  return fetch(inbound, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issue_comment",
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": await sign(SECRET, body),
    },
    body,
  });
}

/**
 * Waits until `expected` GitHub-started runs exist (or `timeoutS` passes); returns each one's
 * creation time by its X-GitHub-Delivery (the run's `github_delivery` metadata).
 */
async function settle(
  url: string,
  auth: Record<string, string>,
  expected: number,
  timeoutS: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const found = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const q = `source=GITHUB_WEBHOOK&limit=100${after}`;
      const page = await json<{
        runs: { created_at: string; metadata?: Record<string, string> }[];
        page_info: { next_cursor?: string; has_next_page?: boolean };
      }>(await fetch(`${url}/api/v1/agent/runs?${q}`, { headers: auth }), 200);
      for (const r of page.runs) {
        const id = r.metadata?.github_delivery;
        if (id) found.set(id, Date.parse(r.created_at));
      }
      cursor = page.page_info.next_cursor;
    } while (cursor);
    process.stdout.write(`\r  runs ${found.size} / ${expected}`);
    if (found.size >= expected || Date.now() > deadline) {
      process.stdout.write("\n");
      return found;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** CPU ms per item between two readings (null off Linux or when the case did not run). */
const perItem = (cpu0: number | null, cpu1: number | null, count: number) =>
  cpu0 === null || cpu1 === null || count === 0 ? null : round((cpu1 - cpu0) / count);

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const pct = (p: number) => round(s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? Number.NaN, 1);
  return { p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: pct(1) };
}

function figures(ms: number[], sent: Sent[]) {
  const statuses: Record<string, number> = {};
  for (const x of sent) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
  return { ...stats(ms), requests: sent.length, statuses };
}

const row = (f: { p50_ms: number; p99_ms: number; max_ms: number }) => ({
  "p50 ms": f.p50_ms,
  "p99 ms": f.p99_ms,
  "max ms": f.max_ms,
});

const log = (msg: string) => console.log(`[integrations] ${msg}`);
