import type { Readable, Writable } from "node:stream";

/** How a process of a run ended. `signal` is set when it was killed (by us or otherwise). */
export type ExitStatus = {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
};

export type SpawnOptions = {
  /** working directory; defaults to the run's workspace */
  cwd?: string;
  /** added to the run's environment (which is already clean: env vars and secrets only) */
  env?: Record<string, string>;
  /** kill the whole process tree after this many milliseconds */
  timeoutMs?: number;
  /** kill the whole process tree when aborted */
  signal?: AbortSignal;
};

/** A process started in a run's isolation backend; `kill` takes its whole process tree. */
export interface RunProcess {
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  // A program that cannot be started has pid undefined, empty stdout/stderr that end cleanly (never
  // an error), and exit code 127 (not found) or 126 (not executable).
  /** resolves once the process has exited and its output streams have closed */
  wait(): Promise<ExitStatus>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Where a run's processes execute. `process`: this machine, a fresh workspace directory and a
 * clean environment; `docker`: a container of the environment's image with the workspace mounted.
 */
export interface Backend {
  readonly kind: "process" | "docker";
  /**
   * A directory only the runner's user can enter (0700), outside the workspace (never committed
   * nor uploaded), that the run's processes see at this same path; `dispose` removes it. For
   * files a process must read that may hold secrets (a CLI's MCP config): never its command line.
   */
  readonly privateDir: string;
  /**
   * The uid:gid the run's processes run as when it is not the runner's (`--agent-user`): files the
   * runner makes for them (the file tools' writes, a CLI's MCP config) are given to it.
   */
  readonly owner?: { uid: number; gid: number };
  /** Start `command` with `args` (no shell). */
  spawn(command: string, args: string[], opts?: SpawnOptions): RunProcess;
  /** Release everything the run holds (containers, processes still alive). */
  dispose(): Promise<void>;
}
