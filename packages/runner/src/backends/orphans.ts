// The process groups a runner's runs started, so none outlives a runner killed outright (SIGKILL,
// OOM, a crash: no cleanup of its own runs). Every process the process backend starts leads a
// group of its own (`spawnTree`); its pgid and start time are written to a file under
// `<workdir>/process-groups/<runner>/` while it lives. Two things act on those files:
// - a watchdog: a tiny `sh` in a session of its own that reads a pipe only the runner holds;
//   when the runner dies, however, the pipe closes and the watchdog kills the groups at once;
// - the next runner on the same workdir (`sweepOrphanGroups` at start): what a dead runner's
//   directory still lists (the watchdog was killed too, e.g. with the runner's own group) is
//   killed then.
// A group is killed only if it is really the one recorded: its leader has the recorded start
// time, or (the leader gone) its members started after it; a pgid cannot be reused while a
// process of the group lives. Node cannot set PR_SET_PDEATHSIG, hence the watchdog. Linux only
// (/proc); elsewhere nothing is recorded. A process that left its group (setsid) is out of reach.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";

export type GroupLedger = {
  /** a process group `pgid` (its leader's pid) started */
  started(pgid: number): void;
  /** it ended (its leader exited and the group was killed) */
  ended(pgid: number): void;
  /** the runner stops: the watchdog ends, the directory goes */
  close(): void;
};

const DIR = "process-groups";

/** `starttime` (field 22 of /proc/<pid>/stat, clock ticks since boot) and `pgrp` of `pid`. */
function procStat(pid: number | string): { start: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[0] is field 3
    return { start: f[19], pgrp: Number(f[2]) };
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * This runner's ledger under `<workdir>/process-groups/<boot>.<pid>.<start>.<random>/` (the name
 * says whether its runner still lives), and its watchdog unless `watchdog` is false. Undefined
 * where there is no /proc.
 */
export function groupLedger(
  workdir: string,
  { watchdog = true }: { watchdog?: boolean } = {},
): GroupLedger | undefined {
  const boot = bootId();
  const self = procStat(process.pid);
  if (!boot || !self) return undefined;
  const dir = path.join(
    workdir,
    DIR,
    `${boot}.${process.pid}.${self.start}.${randomBytes(4).toString("hex")}`,
  );
  mkdirSync(dir, { recursive: true });
  const dog = watchdog ? startWatchdog(dir) : undefined;
  return {
    started(pgid) {
      const start = procStat(pgid)?.start;
      if (start) writeFileSync(path.join(dir, String(pgid)), `${start}\n`);
    },
    ended(pgid) {
      try {
        unlinkSync(path.join(dir, String(pgid)));
      } catch {
        // never recorded
      }
    },
    close() {
      if (dog)
        dog.stdin?.end(); // it kills what is left and removes the directory
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

// $1: the ledger directory. Blocks reading stdin (a pipe nobody writes) until the runner's end
// closes, then kills each recorded group whose leader is gone or has the recorded start time.
const WATCHDOG = `dir=$1
read -r _
cd "$dir" 2>/dev/null || exit 0
for pgid in *; do
  case $pgid in ''|*[!0-9]*) continue ;; esac
  read -r start < "$pgid" || continue
  if stat=$(cat "/proc/$pgid/stat" 2>/dev/null); then
    set -- \${stat##*) }
    [ "\${20}" = "$start" ] || continue
  fi
  kill -9 "-$pgid" 2>/dev/null
done
cd / && rm -rf "$dir"`;

function startWatchdog(dir: string): ChildProcess {
  // no environment of the runner's (its credential stays out), its own session (a signal to the
  // runner's group spares it)
  const child = spawn("/bin/sh", ["-c", WATCHDOG, "ambit-runner-watchdog", dir], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  child.on("error", () => {}); // no sh: the sweep at the next start still cleans up
  child.stdin?.on("error", () => {});
  // the runner's lifetime is its own business: neither holds its event loop open
  child.unref();
  (child.stdin as Socket | null)?.unref();
  return child;
}

/**
 * Kills the process groups that runners no longer alive left in `<workdir>/process-groups/` and
 * removes their ledgers; answers how many groups were killed. Ledgers of live runners (this
 * process's other hosts included) are left alone.
 */
export function sweepOrphanGroups(workdir: string): number {
  const boot = bootId();
  if (!boot) return 0;
  const root = path.join(workdir, DIR);
  let ledgers: string[];
  try {
    ledgers = readdirSync(root);
  } catch {
    return 0;
  }
  let killed = 0;
  for (const name of ledgers) {
    const [b, pid, start] = name.split(".");
    const runnerLives = Number(pid) === process.pid || procStat(pid)?.start === start;
    if (b === boot && runnerLives) continue;
    const dir = path.join(root, name);
    // after a reboot nothing recorded can still run
    if (b === boot) for (const file of readdirSync(dir)) if (killGroup(dir, file)) killed++;
    rmSync(dir, { recursive: true, force: true });
  }
  return killed;
}

/** Kills the group recorded in `dir/<pgid>` if it still runs and is the one recorded. */
function killGroup(dir: string, file: string): boolean {
  if (!/^\d+$/.test(file)) return false;
  const pgid = Number(file);
  let recorded: number;
  try {
    recorded = Number(readFileSync(path.join(dir, file), "utf8").trim());
  } catch {
    return false;
  }
  const leader = procStat(pgid);
  if (leader) {
    if (Number(leader.start) !== recorded) return false; // the pid is another process's now
  } else {
    // the leader exited: its group lives on while a member does; members started after it
    const members = readdirSync("/proc").flatMap((d) => {
      const s = /^\d+$/.test(d) ? procStat(d) : undefined;
      return s?.pgrp === pgid ? [s] : [];
    });
    if (!members.length || members.some((m) => Number(m.start) < recorded)) return false;
  }
  try {
    process.kill(-pgid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}
