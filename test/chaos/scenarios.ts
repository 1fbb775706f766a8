// The faults, one per scenario. Each runs in a fresh world under a steady stream of runs; `fault`
// is what happens to it mid-load.
import type { World } from "./world.ts";

export type Scenario = {
  name: string;
  about: string;
  /** seconds of steady load */
  loadSeconds: number;
  /** how long to wait for every run to end after the load stops */
  settleSeconds: number;
  fault(world: World, log: (msg: string) => void): Promise<void>;
  /** left out of `--quick` */
  slow?: boolean;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const signalGroup = (world: World, index: number, signal: NodeJS.Signals) =>
  process.kill(-(world.runners[index].child.pid as number), signal);

/**
 * 8 s into the load (runs in flight): `signal` to runner 1's process group; with `resumeAfter`,
 * SIGCONT that many seconds later.
 */
async function signalRunnerMidLoad(
  world: World,
  log: (msg: string) => void,
  signal: NodeJS.Signals,
  resumeAfter?: number,
) {
  await sleep(8_000);
  log(`${signal} runner 1${resumeAfter === undefined ? "" : ` for ${resumeAfter} s`}`);
  signalGroup(world, 0, signal);
  if (resumeAfter === undefined) return;
  await sleep(resumeAfter * 1_000);
  log("SIGCONT runner 1");
  signalGroup(world, 0, "SIGCONT");
}

/** Lease: 30 s of silence, then 30 s of grace (durable-objects/host-pool/connections.ts), plus slack. */
export const AFTER_LEASE = 90;

export const SCENARIOS: Scenario[] = [
  {
    name: "baseline",
    about: "no fault: the yardstick for the others",
    loadSeconds: 20,
    settleSeconds: 60,
    fault: async () => {},
  },
  {
    name: "runner-sigkill",
    about:
      "a runner killed with SIGKILL mid-run (process group: the agent's commands too); a new one starts",
    loadSeconds: 25,
    settleSeconds: AFTER_LEASE,
    fault: async (world, log) => {
      await signalRunnerMidLoad(world, log, "SIGKILL");
      await world.startRunner();
    },
  },
  {
    name: "runner-sigstop-5s",
    about: "a runner frozen (SIGSTOP) for 5 s, then resumed",
    loadSeconds: 25,
    settleSeconds: AFTER_LEASE,
    fault: (world, log) => signalRunnerMidLoad(world, log, "SIGSTOP", 5),
  },
  {
    name: "runner-sigstop-2m",
    about: "a runner frozen (SIGSTOP) for 2 minutes (past its lease), then resumed",
    loadSeconds: 25,
    settleSeconds: AFTER_LEASE,
    slow: true,
    fault: async (world, log) => {
      // awaited: the tally comes after the runner woke up and tried to go on with its ended run
      await signalRunnerMidLoad(world, log, "SIGSTOP", 120);
      await sleep(10_000);
    },
  },
  {
    name: "workerd-sigkill",
    about:
      "the runtime (wrangler dev and workerd) killed with SIGKILL mid-run, restarted on the same state",
    loadSeconds: 30,
    settleSeconds: AFTER_LEASE,
    fault: async (world, log) => {
      await sleep(8_000);
      log("SIGKILL wrangler dev");
      const child = world.server.server.child;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-(child.pid as number), "SIGKILL");
      await exited;
      await sleep(2_000);
      log("restarting on the same state");
      await world.server.restart();
      log("back");
    },
  },
  {
    name: "socket-drops",
    about:
      "every connection through the proxy (hosts' pool and session sockets, viewers' streams, API calls) cut at random every 1–4 s",
    loadSeconds: 30,
    settleSeconds: AFTER_LEASE,
    fault: async (world, log) => {
      const end = Date.now() + 28_000;
      let cuts = 0;
      while (Date.now() < end) {
        await sleep(1_000 + Math.random() * 3_000);
        world.proxy.cutAll();
        cuts++;
      }
      log(`${cuts} cuts`);
    },
  },
  {
    name: "api-retries",
    about:
      "answers to run creation thrown away after the server committed (the SDK retries with the same idempotency key)",
    loadSeconds: 20,
    settleSeconds: 60,
    fault: async (world, log) => {
      await sleep(2_000);
      world.proxy.dropAnswers("POST /api/v1/agent/runs", 15);
      log("next 15 run creations: answers dropped");
    },
  },
];
