// Resident memory (and CPU) of named processes sampled over a long run, and the slope of each
// (least squares, MB per minute): what the soak bench reports. Linux /proc only.
import { readdirSync, readFileSync } from "node:fs";
import { serverRole } from "./fanout-stats.ts";
import { round } from "./load.ts";

const TICK = 100; // USER_HZ: /proc times are in 1/100 s

export type Tracked = {
  label: string;
  pid: number;
  /** [minutes since the sampler started, resident MB, CPU seconds (user + system) so far] */
  samples: [number, number, number][];
};

function readProc(pid: number): { rssMb: number; cpuS: number } | null {
  try {
    const rss = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (!rss) return null; // a zombie
    return { rssMb: Number(rss[1]) / 1024, cpuS: (Number(f[11]) + Number(f[12])) / TICK };
  } catch {
    return null; // exited
  }
}

/** `serverRole`, with wrangler's launcher and its esbuild services apart from its CLI. */
function memoryRole(cmd: string) {
  if (cmd.includes("/esbuild")) return "esbuild";
  if (cmd.includes("wrangler/bin/wrangler.js")) return "wrangler_launcher";
  return serverRole(cmd);
}

/** The processes of process group `pgid`, each named by its role, by pid. */
export function serverProcesses(pgid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      out.set(Number(d), memoryRole(readFileSync(`/proc/${d}/cmdline`, "utf8")));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Samples what `processes()` names (pid → label) on each `sample()`; a pid seen again keeps its series. */
export function memorySampler(processes: () => Map<number, string>) {
  const t0 = performance.now();
  const minutes = () => (performance.now() - t0) / 60_000;
  const tracked = new Map<number, Tracked>();
  return {
    tracked,
    /** minutes since the sampler started */
    minutes,
    sample() {
      const t = minutes();
      for (const [pid, label] of processes()) {
        const p = readProc(pid);
        if (!p) continue;
        const s = tracked.get(pid) ?? { label, pid, samples: [] };
        s.samples.push([t, p.rssMb, p.cpuS]);
        tracked.set(pid, s);
      }
    },
    /** The latest resident MB of each label (summed when a label has several processes). */
    latest(): Record<string, number> {
      const out: Record<string, number> = {};
      for (const s of tracked.values()) {
        const last = s.samples.at(-1);
        if (last && Math.abs(last[0] - (performance.now() - t0) / 60_000) < 1)
          out[s.label] = round((out[s.label] ?? 0) + last[1], 0);
      }
      return out;
    },
  };
}

/** Least-squares slope of y over x (null with fewer than 3 points). */
export function slope(points: [number, number, ...number[]][]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

/**
 * Per process, over the samples up to `loadEnd` (minutes): resident MB first/last/max, the slope
 * over the whole load and its second half, the mean CPU; then the resident MB at the last sample
 * (after the idle time that followed the load).
 */
export function memoryReport(t: Tracked, loadEnd: number) {
  const load = t.samples.filter(([x]) => x <= loadEnd);
  const [first, last] = [load[0], load.at(-1)!];
  const minutes = last[0] - first[0];
  const s = slope(load);
  const s2 = slope(load.filter(([x]) => x >= (first[0] + last[0]) / 2));
  const after = t.samples.at(-1)!;
  return {
    label: t.label,
    pid: t.pid,
    samples: load.length,
    minutes: round(minutes, 2),
    rss_mb: {
      first: round(first[1], 1),
      last: round(last[1], 1),
      max: round(Math.max(...load.map(([, y]) => y)), 1),
    },
    slope_mb_per_min: s === null ? null : round(s, 3),
    // the first minutes hold the warm-up (JIT, caches, pools filling): the second half is the leak test
    slope_mb_per_min_second_half: s2 === null ? null : round(s2, 3),
    cpu_pct: minutes > 0 ? round((100 * (last[2] - first[2])) / (minutes * 60), 1) : null,
    // what is left once the load is over: a cache gives memory back (or stops growing), a leak does not
    rss_mb_after_idle: after[0] > loadEnd ? round(after[1], 1) : null,
    idle_minutes: after[0] > loadEnd ? round(after[0] - loadEnd, 2) : null,
  };
}
