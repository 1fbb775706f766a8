// A runner's first life, cut to what orphan cleanup is about: it starts a long-running command
// through the process backend with the host's process-group ledger (as `startHost` wires it),
// prints `{"pgid": …}` and waits to be killed. The command (`sh` with a `sleep` in the background
// and one in the foreground) stands for an agent that is busy when its runner dies.
//   node test/fakes/group-spawner.ts <workdir> [--no-watchdog]
import { mkdirSync } from "node:fs";
import path from "node:path";
import { groupLedger } from "../../packages/runner/src/backends/orphans.ts";
import { baselineEnv, processBackend } from "../../packages/runner/src/backends/process.ts";

const [workdir, flag] = process.argv.slice(2);
const workspace = path.join(workdir, "runs", "r.1");
mkdirSync(workspace, { recursive: true });
const groups = groupLedger(workdir, { watchdog: flag !== "--no-watchdog" });
const backend = processBackend(workspace, baselineEnv(), { groups });
const agent = backend.spawn("sh", ["-c", "sleep 300 & sleep 300"]);
process.stdout.write(`${JSON.stringify({ pgid: agent.pid })}\n`);
setInterval(() => {}, 60_000);
