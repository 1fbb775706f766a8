// `npm run bench -- <name> [options]`: runs one benchmark. Each writes JSON under bench/results/.
import { benchApi } from "./api.ts";
import { benchCost } from "./cost.ts";
import { benchDispatch } from "./dispatch.ts";
import { benchFanout } from "./fanout.ts";
import { benchGateway } from "./gateway.ts";
import { benchGrowth } from "./growth.ts";
import { benchIntegrations } from "./integrations.ts";
import { benchRunner } from "./runner.ts";
import { benchSchedules } from "./schedules.ts";
import { benchSoak } from "./soak.ts";
import { benchStats } from "./stats.ts";
import { benchWebhooks } from "./webhooks.ts";
import { benchWorkerCpu } from "./worker-cpu.ts";
import { benchWeb } from "./web.ts";

const BENCHES: Record<string, { run: (argv: string[]) => Promise<void>; about: string }> = {
  api: {
    run: benchApi,
    about:
      "HTTP load on a local wrangler dev (team of 100,000 runs). Options: --runs N --duration S --warmup S --connections N --samples N --keep",
  },
  fanout: {
    run: benchFanout,
    about:
      "one run's live session: a host appending events, N websocket viewers. Options: --viewers 1,50,200 --rate 200 --duration S --drain S --deflate --keep",
  },
  runner: {
    run: benchRunner,
    about:
      "the host runner on a local wrangler dev: assignment → harness start, events/s forwarded, resident memory idle and with 4 runs. Options: --samples N --events N --keep",
  },
  dispatch: {
    run: benchDispatch,
    about:
      "POST /agent/runs → task_assignment at an idle host (latency), runs/s to H hosts of capacity C; BullMQ on a local redis-server as the baseline. Options: --runs N --hosts H --capacity C --concurrency N --skip-unbatched --keep",
  },
  cost: {
    run: benchCost,
    about:
      "the billable operations of one no-op run (D1 rows, Durable Object requests and time, queue, KV, R2, Worker requests), counted by the Worker's meter (AMBIT_METER=1) and priced per 1,000 runs. Options: --runs N --rounds N --warmup N --concurrency N --profile [--profile-interval-us 250 --profile-isolates REGEX] --keep",
  },
  "worker-cpu": {
    run: benchWorkerCpu,
    about:
      "the Worker isolate's CPU over the life of N no-op runs (requests, queue consumers, Durable Objects), against GET /healthz in the same round, V8-profiled with the runtime's thread on a core of its own; the runtime thread's CPU; with Linux perf, the local-only work inside the Worker's calls. Options: --runs N --rounds N --baseline-requests N --warmup N --interval US --top N --unpinned --against REF (another commit's Worker beside this one, rounds in turn: the ratio) --heap (then what N runs allocate in the isolate, by function: V8's sampling heap profiler)",
  },
  growth: {
    run: benchGrowth,
    about:
      "list and create cost (latency, server CPU, D1 rows read/written per request) as one team grows to each size, seeded straight into local D1; the D1 file's size. Options: --sizes 10000,100000,1000000 --samples N --keep",
  },
  stats: {
    run: benchStats,
    about:
      "GET /api/v1/stats/runs on a team of 100,000 runs (each group_by, 30 and 90 days) against GET /healthz. Options: --runs N --samples N --rounds N --warmup N --keep",
  },
  gateway: {
    run: benchGateway,
    about:
      "the model gateway: time to first byte (p50/p99) and streamed tokens/s through it against calling the scripted model server directly and through a pass-through Worker (bare workerd and wrangler dev), same run; a synthetic and a paced answer. Options: --samples N --warmup N --text CHARS --paced-text CHARS --pace-ms MS --paced-samples N --profile N --keep",
  },
  webhooks: {
    run: benchWebhooks,
    about:
      "outbound webhook events delivered per second to a local receiver: N runs created (run.created), E endpoints each. Options: --events N --endpoints 1,4 --connections N --timeout S --keep",
  },
  integrations: {
    run: benchIntegrations,
    about:
      "GitHub deliveries, Slack events and Linear agent sessions in at a fixed rate: acknowledged, delivery → run QUEUED / first reply / first activity (p50/p99), against GET /healthz and POST /agent/runs at that rate. Options: --rate 50 --deliveries N --timeout S --only slack|linear --keep",
  },
  schedules: {
    run: benchSchedules,
    about:
      "one Cron Trigger tick starting the runs of N due schedules, against N runs created through the API. Options: --sizes 1000,5000 --connections N --timeout S --keep",
  },
  soak: {
    run: benchSoak,
    about:
      "a steady load of runs on a real wrangler dev, two runners and the scripted model server: every process's memory slope (MB/min, MB/run), the runtime's JS heap and open Durable Objects, p50/p99 latencies per 5-minute window, nothing stuck at the end; --baseline do|noop: the same load on a minimal Worker (one Durable Object per request, or none). Options: --minutes 30 --rate 1 --work-seconds 2 --runners 2 --sample-seconds 5 --window-minutes 5 --idle-minutes 1 --progress 30 --baseline do|noop --keep",
  },
  web: {
    run: benchWeb,
    about:
      "the web console in headless Chromium on a team of 100,000 runs: first rows, a 10,000-event run interactive, long tasks while a run streams. Options: --runs N --samples N --events N --rate N --duration S --streams N --quiet MS --no-build --keep",
  },
};

const [name, ...rest] = process.argv.slice(2);
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(
    `usage: npm run bench -- <name> [options]\n\n${Object.entries(BENCHES)
      .map(([n, b]) => `  ${n.padEnd(9)} ${b.about}`)
      .join("\n")}`,
  );
  process.exit(name ? 2 : 1);
}
await bench.run(rest);
