// `npm run bench -- webhooks`: outbound webhook events delivered per second to a local receiver.
// N runs are created through the API (each a `run.created` event) at a fixed concurrency; each of
// E endpoints subscribed to it gets every event, signed, through the EVENTS queue, the fan-out and
// the WEBHOOK_SENDS queue. Writes bench/results/webhooks-<timestamp>.json. See bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  applyMigrations,
  type DevServer,
  ROOT,
  startDevServer,
} from "../scripts/lib/wrangler-dev.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../test/fakes/webhook-receiver.ts";
import { benchState, json, signUp } from "./lib/bench-state.ts";
import { treeCpuMs, watchOtherCpu } from "./lib/cpu.ts";
import { createRuns } from "./lib/create-runs.ts";
import { round } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";

type Call = { headers: Record<string, string>; body: string; at: number };

export async function benchWebhooks(argv: string[]) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      events: { type: "string", default: "500" },
      endpoints: { type: "string", default: "1,4" },
      connections: { type: "string", default: "10" },
      timeout: { type: "string", default: "300" },
      keep: { type: "boolean", default: false },
    },
  });
  const events = Number(o.events);
  const endpointCounts = o.endpoints.split(",").map(Number);
  const connections = Number(o.connections);
  const state = benchState("webhooks", o.keep!);
  let server: DevServer | undefined;
  let receiver: WebhookReceiver | undefined;
  state.onCleanup(async () => {
    await server?.stop();
    await receiver?.close();
  });
  const started = new Date();
  try {
    await applyMigrations(state.persistTo, { quiet: true });
    receiver = await startWebhookReceiver();
    server = await startDevServer({
      persistTo: state.persistTo,
      vars: { ...state.vars, WEBHOOKS_ALLOW_PRIVATE: "true" },
      logLevel: "warn",
    });
    const otherCpu = watchOtherCpu();
    const cases = [];
    for (const endpoints of endpointCounts) {
      const team = await signUp(server.url, `webhooks-${endpoints}`);
      const names = Array.from({ length: endpoints }, () => crypto.randomUUID());
      for (const name of names) {
        const res = await fetch(`${server.url}/api/v1/webhooks`, {
          method: "POST",
          headers: { authorization: `Bearer ${team.api_key}`, "content-type": "application/json" },
          body: JSON.stringify({
            url: `${receiver.url}/hooks/${name}`,
            event_types: ["run.created"],
          }),
        });
        await json(res, 201);
      }
      const expected = events * endpoints;
      log(`${endpoints} endpoint(s): ${events} runs created → ${expected} deliveries`);
      const cpu0 = treeCpuMs(server.child.pid);
      const t0 = Date.now();
      await createRuns(server.url, team.api_key, events, connections, (i) => ({
        prompt: `webhook bench ${i}`,
      }));
      const createdMs = Date.now() - t0;
      const calls = async () =>
        (await Promise.all(names.map((n) => callsOf(receiver!.url, n)))).flat();
      const deadline = Date.now() + Number(o.timeout) * 1000;
      let got: Call[] = [];
      for (;;) {
        got = await calls();
        process.stdout.write(`\r  delivered ${got.length} / ${expected}`);
        if (got.length >= expected || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      process.stdout.write("\n");
      const lastAt = Math.max(...got.map((c) => c.at));
      const cpu1 = treeCpuMs(server.child.pid);
      // latency: the event's own time (its body's timestamp: the run's creation) → received
      const latencies = got
        .map((c) => c.at - Date.parse(JSON.parse(c.body).timestamp))
        .sort((a, b) => a - b);
      const pct = (p: number) => latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)];
      const seconds = (lastAt - t0) / 1000;
      const ids = new Set(got.map((c) => `${c.headers["webhook-id"]}`));
      cases.push({
        endpoints,
        events,
        deliveries_expected: expected,
        deliveries_received: got.length,
        distinct_event_ids: ids.size,
        create_seconds: round(createdMs / 1000),
        seconds_to_last_delivery: round(seconds),
        deliveries_per_sec: round(got.length / seconds, 1),
        latency_ms: { p50: pct(0.5), p99: pct(0.99), max: latencies.at(-1) },
        server_cpu_ms_per_delivery:
          cpu0 === null || cpu1 === null ? null : round((cpu1 - cpu0) / got.length),
      });
      log(JSON.stringify(cases.at(-1)));
    }
    const report = {
      bench: "webhooks",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      machine: { ...machineInfo(), other_processes_cpu_s: otherCpu() },
      config: { events, endpoints: endpointCounts, connections },
      cases,
    };
    const dir = path.join(ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `webhooks-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`results: ${path.relative(ROOT, file)}`);
  } finally {
    await state.dispose();
  }
}

async function callsOf(base: string, name: string): Promise<Call[]> {
  return (await (await fetch(`${base}/calls/${name}`)).json()) as Call[];
}

const log = (msg: string) => console.log(`[webhooks] ${msg}`);
