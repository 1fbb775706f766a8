import { spawn as nodeSpawn } from "node:child_process";
import { existsSync, lchownSync } from "node:fs";
import path from "node:path";
import type { AgentUser } from "./agent-user.ts";
import type { GroupLedger } from "./orphans.ts";
import { makePrivateDir, removePrivateDir } from "./private-dir.ts";
import type { Backend, ExitStatus, RunProcess, SpawnOptions } from "./types.ts";

/** Variables a process needs to work at all; everything else of the host's environment stays out. */
const BASELINE = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "TERM", "USER", "SHELL"];

export function baselineEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    BASELINE.flatMap((k) => (source[k] === undefined ? [] : [[k, source[k] as string]])),
  );
}

/** Grace between SIGTERM and SIGKILL when a process tree is stopped. */
export const KILL_GRACE_MS = 2_000;

/**
 * The `process` backend: every process runs in `workspace` with `env` (baseline + the run's env
 * vars and secrets) as the whole environment, in its own process group so that `kill` reaches
 * every descendant (a shell's children, a test runner's workers). With `user` (`--agent-user`, a
 * root runner) they run as that user, with its HOME, and the workspace and private directory are
 * given to it: the runner's own process, and the credential in its environment, are out of reach.
 * With `groups` (the host's), each process group is recorded while it lives (`orphans.ts`).
 */
export function processBackend(
  workspace: string,
  env: Record<string, string>,
  { user, groups }: { user?: AgentUser; groups?: GroupLedger } = {},
): Backend {
  const live = new Set<RunProcess>();
  const privateDir = makePrivateDir();
  const owner = user && { uid: user.uid, gid: user.gid };
  const runEnv = user ? { ...env, HOME: user.home, USER: user.name, LOGNAME: user.name } : env;
  if (owner) {
    for (const dir of [workspace, path.join(workspace, "artifacts"), privateDir])
      if (existsSync(dir)) lchownSync(dir, owner.uid, owner.gid);
  }
  return {
    kind: "process",
    privateDir,
    owner,
    spawn(command, args, opts: SpawnOptions = {}) {
      const p = spawnTree(
        command,
        args,
        { ...opts, cwd: opts.cwd ?? workspace, user: owner, groups },
        { ...runEnv, ...opts.env },
      );
      live.add(p);
      void p.wait().then(() => live.delete(p));
      return p;
    },
    async dispose() {
      for (const p of live) p.kill("SIGKILL");
      await Promise.all([...live].map((p) => p.wait()));
      removePrivateDir(privateDir);
    },
  };
}

/** Spawns a process (as `user` when given) as the leader of a new process group; `kill` signals the whole group. */
export function spawnTree(
  command: string,
  args: string[],
  opts: SpawnOptions & { cwd: string; user?: { uid: number; gid: number }; groups?: GroupLedger },
  env: Record<string, string>,
): RunProcess {
  const child = nodeSpawn(command, args, {
    cwd: opts.cwd,
    env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    ...opts.user,
  });
  if (child.pid !== undefined) opts.groups?.started(child.pid);
  let timedOut = false;
  let exited = false;
  let graceTimer: NodeJS.Timeout | undefined;

  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group is already gone
    }
  };
  const kill = (sig: NodeJS.Signals = "SIGTERM") => {
    signalGroup(sig);
    if (sig !== "SIGKILL" && !graceTimer) {
      graceTimer = setTimeout(() => signalGroup("SIGKILL"), KILL_GRACE_MS);
      graceTimer.unref();
    }
  };

  const timeout = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs)
    : undefined;
  const onAbort = () => kill();
  if (opts.signal?.aborted) queueMicrotask(onAbort);
  else opts.signal?.addEventListener("abort", onAbort, { once: true });

  const done = new Promise<ExitStatus>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      exited = true;
      clearTimeout(timeout);
      opts.signal?.removeEventListener("abort", onAbort);
      // the leader exited; make sure nothing it started outlives it
      signalGroup("SIGKILL");
      if (child.pid !== undefined) opts.groups?.ended(child.pid);
      clearTimeout(graceTimer);
      resolve({ exitCode, signal, timedOut });
    };
    // The program could not be started (ENOENT: 127, like a shell; else 126). Node then ends
    // stdout and stderr empty and cleanly, as for a process that printed nothing, and emits
    // `close` (with the errno as code), which the status below wins over.
    child.once("error", (err) => {
      if (child.pid !== undefined) return; // a started process: its `close` tells how it ended
      exited = true;
      clearTimeout(timeout);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({
        exitCode: (err as NodeJS.ErrnoException).code === "ENOENT" ? 127 : 126,
        signal: null,
        timedOut,
      });
    });
    child.once("close", finish);
  });
  child.stdin.on("error", () => {}); // a process that exits without reading its stdin is not an error

  return {
    get pid() {
      return child.pid;
    },
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    wait: () => done,
    kill: (sig) => {
      if (!exited) kill(sig);
    },
  };
}
