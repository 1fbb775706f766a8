// Gives the runtime workerd's one JavaScript thread a core of its own (Linux, `taskset`): every
// isolate of the local runtime — the Worker, its Durable Objects and Miniflare's simulators — runs
// on that thread, and on a 2-core machine shared with the bench, the host and wrangler's proxy it
// is taken off the core again and again. A V8 profile taken meanwhile then reads those pauses as
// gaps between samples. Pinned, the thread runs whenever it has work, and the profiler's sampler
// (another thread of the runtime, made real-time here so that it wakes on time) samples it on the
// interval. What this does is undone by `unpin()`.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { serverRole } from "./fanout-stats.ts";

const TICK = 100; // USER_HZ

const run = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

const threads = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
};

/** Processes of the process group `pgid`, with their /proc cmdline. */
function group(pgid: number): { pid: number; cmd: string }[] {
  const out = [];
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      out.push({ pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, "utf8") });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** CPU seconds (user + system) one thread has used so far. */
export function threadCpuSeconds(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICK;
}

export type Pinning = {
  /** the runtime workerd, whose main thread (tid = pid) runs every isolate */
  runtimePid: number;
  /** the core it has to itself */
  core: number;
  /** puts the runtime's threads that appeared since (the profiler's sampler) off that core, real-time */
  pinNewThreads(): number[];
  unpin(): void;
};

/**
 * Pins the runtime workerd of the `wrangler dev` in process group `pgid`: its main thread alone
 * on the last core, its other threads, the server's other processes and this process on the
 * others. Null where it can't (one core, no `taskset`, not Linux).
 */
export function pinRuntime(pgid: number): Pinning | null {
  const cpus = os.cpus().length;
  if (cpus < 2 || !existsSync("/proc") || !run("taskset", ["-V"])) return null;
  const procs = group(pgid);
  const runtime = procs.find((p) => serverRole(p.cmd) === "runtime_workerd");
  if (!runtime) return null;
  const core = cpus - 1;
  const rest = `0-${cpus - 2}`;
  const others = [...procs.filter((p) => p !== runtime).map((p) => p.pid), process.pid];
  for (const pid of others) run("taskset", ["-a", "-p", "-c", rest, String(pid)]);
  const known = new Set(threads(runtime.pid));
  for (const tid of known)
    run("taskset", ["-p", "-c", tid === runtime.pid ? String(core) : rest, String(tid)]);
  const realtime: number[] = [];
  return {
    runtimePid: runtime.pid,
    core,
    pinNewThreads() {
      const fresh = threads(runtime.pid).filter((t) => !known.has(t));
      for (const tid of fresh) {
        known.add(tid);
        run("taskset", ["-p", "-c", rest, String(tid)]);
        if (run("chrt", ["-f", "-p", "1", String(tid)])) realtime.push(tid);
      }
      return fresh;
    },
    unpin() {
      const all = `0-${cpus - 1}`;
      for (const tid of realtime) run("chrt", ["-o", "-p", "0", String(tid)]);
      for (const pid of [...others, runtime.pid])
        run("taskset", ["-a", "-p", "-c", all, String(pid)]);
    },
  };
}
