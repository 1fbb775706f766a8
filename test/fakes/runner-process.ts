// A host runner in its own Node process, so an e2e test can kill it for real (SIGKILL), drain it
// (SIGTERM) or give it its own PATH. It runs the shell test harness as `ambit`, or with
// RUNNER_HARNESS=builtin the runner's real harnesses.
// RUNNER_ORPHAN_WATCHDOG=0 starts it without the watchdog that kills its runs' process groups when
// it dies (so a test sees what the next runner on the workdir cleans up alone).
//   AMBIT_API_KEY=… [RUNNER_HARNESS=shell|builtin] [RUNNER_AGENT_USER=nobody]
//   [RUNNER_CHECKPOINT_INTERVAL_MS=…] node test/fakes/runner-process.ts <url> <worker-id> <workdir> [capacity]
import { startHost } from "../../packages/runner/src/host.ts";
import { shellHarness } from "./shell-harness.ts";

const [url, workerId, workdir, capacity] = process.argv.slice(2);
const apiKey = process.env.AMBIT_API_KEY;
if (!url || !workerId || !workdir || !apiKey) {
  console.error(
    "usage: AMBIT_API_KEY=… node test/fakes/runner-process.ts <url> <worker-id> <workdir> [capacity]",
  );
  process.exit(2);
}
const host = startHost({
  url,
  apiKey,
  workerId,
  workdir,
  capacity: Number(capacity ?? 1),
  harnesses: process.env.RUNNER_HARNESS === "builtin" ? undefined : { ambit: shellHarness },
  allowLocalRepos: true, // the tests' repositories are on this disk
  agentUser: process.env.RUNNER_AGENT_USER || undefined,
  checkpointIntervalMs: process.env.RUNNER_CHECKPOINT_INTERVAL_MS
    ? Number(process.env.RUNNER_CHECKPOINT_INTERVAL_MS)
    : undefined,
  backoff: { initialMs: 200, maxMs: 2_000 },
  orphanWatchdog: process.env.RUNNER_ORPHAN_WATCHDOG !== "0",
  log: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});
await host.ready;
process.stdout.write(`${JSON.stringify({ msg: "ready" })}\n`);
process.on("SIGTERM", () => void host.drain().then(() => process.exit(0)));
