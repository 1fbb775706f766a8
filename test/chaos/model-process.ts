// The chaos world's scripted model server in a process of its own, so the soak bench can measure
// its memory apart from the load generator's. Turn 1 of a run: a shell command that writes
// `start <token>` to the work log, takes `work-seconds`, then writes `end <token>`; turn 2: the
// answer. It prints `{"url": …}` once listening and exits when its stdin closes (its parent died).
//   node test/chaos/model-process.ts <work-log> <work-seconds>
import { startModelServer } from "../fakes/model-server.ts";

const [workLog, workSeconds] = process.argv.slice(2);
const TOKEN_RE = /chaos-token:([0-9a-f-]{36})/;

const model = await startModelServer((req) => {
  const token = JSON.stringify(req.body).match(TOKEN_RE)?.[1] ?? "unknown";
  if (req.body?.messages?.at(-1)?.role === "tool")
    return { text: `done ${token}`, usage: { input: 10, output: 2 } };
  const command = `echo "start ${token} $(date +%s%3N)" >> ${workLog}; sleep ${workSeconds}; echo "end ${token} $(date +%s%3N)" >> ${workLog}`;
  return {
    toolCalls: [{ name: "run_shell_command", args: { command } }],
    usage: { input: 10, output: 5 },
  };
});
// the fake keeps every request for tests to inspect; nothing reads them here, and a soak would
// count them as the server's growth
setInterval(() => {
  model.requests.length = 0;
  model.sideRequests.length = 0;
}, 10_000).unref();
process.stdout.write(`${JSON.stringify({ url: model.url })}\n`);
process.stdin.resume();
process.stdin.on("end", () => void model.close().then(() => process.exit(0)));
