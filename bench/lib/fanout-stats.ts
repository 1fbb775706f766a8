// Figures for the fanout benchmark: percentiles, and CPU time of the server's processes, of the
// benchmark itself and of the whole machine (Linux /proc), so a reader can tell who was busy.
import { machineInfo as baseMachineInfo } from "./machine.ts";
import { readdirSync, readFileSync } from "node:fs";
import { round } from "./load.ts";

/** p50/p90/p99/max/mean (nearest rank) of `xs`, in ms rounded to 0.01. */
export function summary(xs: ArrayLike<number>) {
  if (!xs.length) return { p50: null, p90: null, p99: null, max: null, mean: null, samples: 0 };
  const s = Float64Array.from(xs).sort();
  const pct = (p: number) => round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]);
  let sum = 0;
  for (const x of s) sum += x;
  return {
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: round(s[s.length - 1]),
    mean: round(sum / s.length),
    samples: s.length,
  };
}

const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux

/**
 * CPU seconds (user + system) used so far by each live process of the process group `pgid`, by
 * role: `wrangler dev` runs a Node CLI, a proxy workerd (the public port) and the runtime workerd
 * (the Worker, its Durable Objects and the local D1). The dispatch benchmark's `redis-server` is
 * measured the same way (`redis_server`).
 */
function groupCpuSeconds(pgid: number): Map<string, { role: string; cpu: number }> {
  const out = new Map<string, { role: string; cpu: number }>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[0] is field 3 (state)
      if (Number(f[2]) !== pgid) continue; // field 5: pgrp
      const role = serverRole(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
      out.set(pid, { role, cpu: (Number(f[11]) + Number(f[12])) / TICK }); // fields 14, 15: utime, stime
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Which of the server's processes `cmd` (a /proc cmdline) is; see `groupCpuSeconds`. */
export function serverRole(cmd: string) {
  return cmd.startsWith("redis-server") || cmd.includes("/redis-server")
    ? "redis_server"
    : !cmd.includes("workerd")
      ? "wrangler_cli"
      : /entry=127\.0\.0\.1:0\b/.test(cmd)
        ? "runtime_workerd"
        : "proxy_workerd";
}

function machineTicks() {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const [, ...v] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .trim()
    .split(/\s+/)
    .map(Number);
  return {
    total: v.slice(0, 8).reduce((s, x) => s + x, 0),
    idle: v[3] + v[4],
    process: v[0] + v[1] + v[2],
  };
}

/** Starts a CPU meter; `stop()` says how busy the server, this process and the machine were meanwhile. */
export function cpuMeter(serverPgid: number | undefined) {
  const t0 = performance.now();
  const server0 = serverPgid
    ? groupCpuSeconds(serverPgid)
    : new Map<string, { role: string; cpu: number }>();
  const self0 = process.cpuUsage();
  const m0 = machineTicks();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const m1 = machineTicks();
    // by pid: a process that started meanwhile (wrangler restarts the runtime on a reload) counts whole
    const used: Record<string, number> = {};
    for (const [pid, p] of serverPgid ? groupCpuSeconds(serverPgid) : [])
      used[p.role] = (used[p.role] ?? 0) + p.cpu - (server0.get(pid)?.cpu ?? 0);
    const byRole = Object.fromEntries(
      Object.entries(used).map(([k, v]) => [k, round((100 * v) / wall, 1)]),
    );
    const server = Object.values(used).reduce((s, v) => s + v, 0);
    const busy = 1 - (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total);
    // user + system time of every process on the machine, less ours (irq time is left out: our own
    // loopback traffic is much of it)
    const processSeconds = (m1.process - m0.process) / TICK;
    const otherSeconds = Math.max(0, processSeconds - server - (self.user + self.system) / 1e6);
    return {
      wall_s: round(wall),
      // percent of ONE core (so up to 100 × cores)
      server_cpu_pct: round((100 * server) / wall, 1),
      server_cpu_pct_by_process: byRole,
      bench_cpu_pct: round((100 * (self.user + self.system)) / 1e6 / wall, 1),
      // percent of the whole machine (100 = every core busy)
      machine_busy_pct: round(100 * busy, 1),
      // processes outside the benchmark (and its server), in percent of one core: anything but ~0
      // means other work competed for the CPU and skewed the figures
      other_cpu_pct: round((100 * otherSeconds) / wall, 1),
      server_cpu_s: round(server, 3),
    };
  };
}

/** How busy the machine is over `ms` (percent of all cores), before anything of ours runs. */
export async function machineBusy(ms = 1000) {
  const m0 = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const m1 = machineTicks();
  return round(100 * (1 - (m1.idle - m0.idle) / Math.max(1, m1.total - m0.total)), 1);
}

/** The shared machine facts (`machine.ts`), and why the CPU figures of each case matter here. */
export function machineInfo() {
  const info = baseMachineInfo();
  return {
    ...info,
    shared_machine:
      `the load generator (this Node process: host + every viewer socket) and the server (wrangler dev: workerd) ` +
      `run on the same ${info.cpus}-core machine and compete for it; see cpu.* per case`,
  };
}
