// CPU seconds used by user-space processes other than the benchmark's own tree while it measures
// (Linux /proc; null elsewhere): anything but ~0 means something else competed for the CPU.
import { readdirSync, readFileSync } from "node:fs";

const HZ = 100; // USER_HZ on every Linux we run on

type Proc = { ppid: string; cpu: number };

function processes(): Map<string, Proc> {
  const out = new Map<string, Proc>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      // utime + stime + the reaped children's cutime + cstime
      out.set(pid, {
        ppid: f[1],
        cpu: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** This process, its descendants, and kernel threads (pid 2 and its children). */
function ours(procs: Map<string, Proc>): Set<string> {
  const set = new Set([String(process.pid), "2"]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of procs) if (!set.has(pid) && set.has(p.ppid)) set.add(pid), (grew = true);
  }
  return set;
}

/** Starts watching; the returned function gives the other processes' CPU seconds since then. */
export function watchOtherCpu(): () => number | null {
  let start: Map<string, Proc>;
  try {
    start = processes();
  } catch {
    return () => null;
  }
  return () => {
    const end = processes();
    const mine = ours(end);
    let jiffies = 0;
    for (const [pid, p] of end)
      if (!mine.has(pid))
        jiffies += p.cpu - (start.get(pid)?.ppid === p.ppid ? start.get(pid)!.cpu : 0);
    return Math.round((jiffies / HZ) * 10) / 10;
  };
}

/** CPU milliseconds used so far by process `pid` and its live descendants (null off Linux). */
export function treeCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const procs = processes();
    const tree = new Set([String(pid)]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [p, s] of procs) if (!tree.has(p) && tree.has(s.ppid)) tree.add(p), (grew = true);
    }
    return ([...tree].reduce((t, p) => t + (procs.get(p)?.cpu ?? 0), 0) * 1000) / HZ;
  } catch {
    return null;
  }
}
