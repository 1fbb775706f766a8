// Resident memory (and CPU) of named processes sampled over a long run, and the slope of each
// (least squares, MB per minute): what the soak bench reports. Linux /proc only.
import { readdirSync, readFileSync } from "node:fs";
import { serverRole } from "./fanout-stats.ts";
import { round } from "./load.ts";

const TICK = 100; // USER_HZ: /proc times are in 1/100 s

export type Tracked = {
  label: string;
  pid: number;
  /** [minutes since the sampler started, resident MB] */
  samples: [number, number][];
  /** CPU seconds (user + system) at the first and the latest sample */
  cpu: [number, number];
  /** minutes at the first and the latest sample */
  at: [number, number];
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
  const tracked = new Map<number, Tracked>();
  return {
    tracked,
    sample() {
      const t = (performance.now() - t0) / 60_000;
      for (const [pid, label] of processes()) {
        const p = readProc(pid);
        if (!p) continue;
        const s = tracked.get(pid);
        if (s) {
          s.samples.push([t, p.rssMb]);
          s.cpu[1] = p.cpuS;
          s.at[1] = t;
        } else
          tracked.set(pid, {
            label,
            pid,
            samples: [[t, p.rssMb]],
            cpu: [p.cpuS, p.cpuS],
            at: [t, t],
          });
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
export function slope(points: [number, number][]): number | null {
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

/** Per process: resident MB first/last/max, the slope over the whole run and its second half, CPU. */
export function memoryReport(t: Tracked) {
  const mb = t.samples.map(([, y]) => y);
  const half = t.samples.filter(([x]) => x >= (t.at[0] + t.at[1]) / 2);
  const s = slope(t.samples);
  const s2 = slope(half);
  const minutes = t.at[1] - t.at[0];
  return {
    label: t.label,
    pid: t.pid,
    samples: t.samples.length,
    minutes: round(minutes, 2),
    rss_mb: { first: round(mb[0], 1), last: round(mb.at(-1)!, 1), max: round(Math.max(...mb), 1) },
    slope_mb_per_min: s === null ? null : round(s, 3),
    // the first minutes hold the warm-up (JIT, caches, pools filling): the second half is the leak test
    slope_mb_per_min_second_half: s2 === null ? null : round(s2, 3),
    cpu_pct: minutes > 0 ? round((100 * (t.cpu[1] - t.cpu[0])) / (minutes * 60), 1) : null,
  };
}
