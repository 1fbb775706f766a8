// Experiment (not committed): server CPU per created run, including the queue consumer and pool work.
import { applyMigrations, startDevServer } from "../scripts/lib/wrangler-dev.ts";
import { treeCpuMs } from "../bench/lib/cpu.ts";
import { benchState, signUp } from "../bench/lib/bench-state.ts";
import os from "node:os";

const N = Number(process.argv[2] ?? 300);
const CONC = 10;
const state = benchState("exp", false);
await applyMigrations(state.persistTo, { quiet: true });
const server = await startDevServer({ persistTo: state.persistTo, vars: state.vars, logLevel: "warn" });
state.onCleanup(() => server.stop());
const s = await signUp(server.url);
const headers = { authorization: `Bearer ${s.api_key}`, "content-type": "application/json" };
const ids: string[] = [];
async function create(n: number) {
  let i = 0;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (i++ < n) {
      const r = await fetch(`${server.url}/api/v1/agent/runs`, { method: "POST", headers, body: JSON.stringify({ prompt: `exp ${Math.random()}` }) });
      if (r.status !== 200) throw new Error(await r.text());
      ids.push(((await r.json()) as any).run_id);
    }
  }));
}
const pid = server.child.pid!;
async function idle() {
  // wait until the server's CPU stops moving (the queue is drained)
  let last = treeCpuMs(pid)!;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = treeCpuMs(pid)!;
    if (now - last <= 20) return now;
    last = now;
  }
}
await create(50);
await idle();
const c0 = treeCpuMs(pid)!;
const t0 = Date.now();
await create(N);
const c1 = treeCpuMs(pid)!;
const t1 = Date.now();
const c2 = await idle();
const last = await (await fetch(`${server.url}/api/v1/agent/runs/${ids[ids.length - 1]}`, { headers })).json() as any;
console.log(JSON.stringify({ n: N, cpu_ms_per_create_total: +((c2 - c0) / N).toFixed(2), cpu_ms_per_create_during: +((c1 - c0) / N).toFixed(2), req_per_s: +(N / ((t1 - t0) / 1000)).toFixed(1), last_status: last.status_message?.message, load: os.loadavg()[0] }));
await state.dispose();
