// Linux `perf` on one thread (the runtime workerd's main thread, which runs every isolate): where
// its CPU time goes in workerd's own code, which a V8 profile does not see. Used to put a number
// on work that only the local runtime does, such as creating a Durable Object's SQLite file on the
// caller's thread (deployed, an object is set up where it runs, not on its caller's CPU).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Native frames whose inclusive share of the thread is reported: name → perf's symbol. */
export const NATIVE_BUCKETS = {
  /** a Durable Object made locally (its SQLite database opened) inside the call that first reaches it */
  local_object_creation: "workerd::Worker::Actor::Actor",
  /** local storage made durable (each SQLite commit of D1's simulator and of every object) */
  fsync: "fsync",
  /** SQLite statements, D1's simulator and the objects' storage alike */
  sqlite_step: "sqlite3_step",
  /** microtasks: most of the JavaScript of every isolate */
  microtasks: "workerd::jsg::Lock::runMicrotasks",
} as const;

export type PerfShares = { samples: number } & Record<keyof typeof NATIVE_BUCKETS, number>;

const available = () => {
  try {
    execFileSync("perf", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** Starts sampling thread `tid` (cpu-clock, call graphs); null where `perf` is missing or not allowed. */
export function startPerf(tid: number): { stop(): Promise<PerfShares | null> } | null {
  if (!available()) return null;
  const file = path.join(os.tmpdir(), `ambit-perf-${process.pid}-${tid}.data`);
  const child: ChildProcess = spawn(
    "perf",
    ["record", "-q", "-F", "1999", "-g", "-t", String(tid), "-o", file],
    { stdio: "ignore" },
  );
  return {
    async stop() {
      // perf may have ended already (not allowed to sample, say): then there is nothing to wait for
      const done = child.exitCode !== null || child.signalCode !== null;
      const exited = done ? Promise.resolve() : new Promise((r) => child.once("exit", r));
      child.kill("SIGINT");
      await exited;
      try {
        const out = execFileSync(
          "perf",
          ["report", "-i", file, "--children", "--sort", "symbol", "--stdio", "-g", "none"],
          { encoding: "utf8", maxBuffer: 256 * 2 ** 20, stdio: ["ignore", "pipe", "ignore"] },
        );
        return parse(out);
      } catch {
        return null;
      } finally {
        rmSync(file, { force: true });
      }
    },
  };
}

/** `perf report --children --sort symbol -g none`: `  12.3%   0.1%  [.] symbol` → shares (0–1). */
function parse(report: string): PerfShares | null {
  const samples = Number(/^# Samples: (\d+)(K?)/m.exec(report)?.[1] ?? Number.NaN);
  const k = /^# Samples: \d+K/m.test(report) ? 1000 : 1;
  const children = new Map<string, number>();
  for (const line of report.split("\n")) {
    const m = /^\s+([\d.]+)%\s+[\d.]+%\s+\[[.k]\] (.+?)(?:\s{2,}|$)/.exec(line);
    if (m && !children.has(m[2])) children.set(m[2], Number(m[1]) / 100);
  }
  if (!children.size) return null;
  const shares = Object.fromEntries(
    Object.entries(NATIVE_BUCKETS).map(([name, symbol]) => [name, children.get(symbol) ?? 0]),
  ) as Record<keyof typeof NATIVE_BUCKETS, number>;
  return { samples: samples * k, ...shares };
}
