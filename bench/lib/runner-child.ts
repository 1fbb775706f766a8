// The runner the `runner` benchmark measures, in its own process (so its resident memory is its
// own), with a harness made for measuring: `noop` returns at once, `emit N` sends N agent
// messages as fast as the runner takes them, `hold` waits until the run is cancelled.
// One JSON line on stdout per thing the benchmark needs; `t` is this process's performance.now().
//   AMBIT_API_KEY=… node bench/lib/runner-child.ts <url> <worker-id> <workdir> <capacity>
import { startHost } from "../../packages/runner/src/host.ts";
import type { Harness } from "../../packages/runner/src/harness/types.ts";

const [url, workerId, workdir, capacity] = process.argv.slice(2);
const out = (o: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ t: performance.now(), ...o })}\n`);
const TEXT = "x".repeat(100);

const bench: Harness = {
  type: "bench",
  async run(ctx) {
    const [cmd, arg] = ctx.prompt.split(" ");
    if (cmd === "emit") {
      const n = Number(arg);
      out({ msg: "emitting", run: ctx.runId });
      for (let i = 0; i < n; i++) {
        ctx.emit({ type: "agent.message", payload: { text: `${i} ${TEXT}` } });
        if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
      }
    } else if (cmd === "hold") {
      await new Promise((r) => ctx.signal.addEventListener("abort", r, { once: true }));
      return { state: "CANCELLED", message: "released" };
    }
    return { state: "SUCCEEDED", message: "ok" };
  },
};

const host = startHost({
  url,
  apiKey: process.env.AMBIT_API_KEY!,
  workerId,
  workdir,
  capacity: Number(capacity),
  harnesses: { ambit: bench },
  artifacts: false,
  onHarnessStart: (run, ms) => out({ msg: "harness_start", run, ms }),
  log: (e) => {
    if (e.msg === "run ended") out({ msg: "run_ended", run: e.task_id, state: e.state });
  },
});
await host.ready;
out({ msg: "ready" });
process.on("SIGTERM", () => void host.stop().then(() => process.exit(0)));
