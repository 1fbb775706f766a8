// `npm start` as a process: started in its own process group, read through what it prints, and the
// /proc helpers that find (and clean up) everything it started.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";

export const KEY_RE = /ambit_[A-Za-z0-9]{40}/;
export const RUNNING_RE = /Ambit is running at (http:\/\/\S+)/;
/** A one-time console sign-in link as `npm start` and `npm run sign-in-link` print it. */
export const LINK_RE = /http:\/\/localhost:\d+\/auth\/link\/[A-Za-z0-9_-]{43}/;

export type Started = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** resolves with the first match of `re` in the output, or rejects after `timeoutMs` */
  waitForOutput: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
};

/**
 * `node scripts/start.ts` (what `npm start` runs) in its own process group, or another command
 * line such as `["npm", "start"]` itself.
 */
export function startPlatform(
  env: Record<string, string>,
  command: string[] = [process.execPath, "scripts/start.ts"],
): Started {
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    child,
    output: () => out,
    exited,
    async waitForOutput(re, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = out.match(re);
        if (m) return m;
        if (gone) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ${re} in the output of npm start${gone ? " (it exited)" : ""}:\n${out}`);
    },
  };
}

/** A process's parent, group and state from /proc, or undefined once it is gone. */
export function procStat(pid: number): { ppid: number; pgid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // the command name may hold spaces
    return { state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/** `root` and every process below it (wrangler, its CLI child, workerd). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Live (not zombie) processes whose command line mentions `port`, e.g. `--port 41234` or `entry=127.0.0.1:41234`. */
export function processesOnPort(port: number): string[] {
  const found: string[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue;
    }
    const st = procStat(Number(name));
    if (!st || st.state === "Z") continue;
    if (
      /wrangler|workerd/.test(cmd) &&
      (cmd.includes(`--port ${port} `) || cmd.includes(`127.0.0.1:${port} `))
    )
      found.push(`${name}: ${cmd}`);
  }
  return found;
}

export const alive = (pid: number) => {
  const st = procStat(pid);
  return st !== undefined && st.state !== "Z";
};
