// A host runner in its own Node process with the shell test harness, so an e2e test can kill it
// for real (SIGKILL) or drain it (SIGTERM).
//   AMBIT_API_KEY=… node test/fakes/runner-process.ts <url> <worker-id> <workdir> [capacity]
import { startHost } from "../../packages/runner/src/host.ts";
import { shellHarness } from "./shell-harness.ts";

const [url, workerId, workdir, capacity] = process.argv.slice(2);
const apiKey = process.env.AMBIT_API_KEY;
if (!url || !workerId || !workdir || !apiKey) {
  console.error("usage: AMBIT_API_KEY=… node test/fakes/runner-process.ts <url> <worker-id> <workdir> [capacity]");
  process.exit(2);
}
const host = startHost({
  url, apiKey, workerId, workdir, capacity: Number(capacity ?? 1),
  harnesses: { ambit: shellHarness },
  backoff: { initialMs: 200, maxMs: 2_000 },
  log: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});
await host.ready;
process.stdout.write(`${JSON.stringify({ msg: "ready" })}\n`);
process.on("SIGTERM", () => void host.drain().then(() => process.exit(0)));
