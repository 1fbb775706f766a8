// Runs the BUILT `ambit` binary (packages/cli/dist/ambit.js) in a child process with a clean
// environment of the test's choosing: its own config directory, no inherited AMBIT_* variables.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { waitFor } from "./helpers.ts";

export type CliResult = { code: number | null; stdout: string; stderr: string };

export class CliProcess {
  stdout = "";
  stderr = "";
  readonly done: Promise<CliResult>;

  readonly child: ChildProcess;

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.done = new Promise((resolve) =>
      child.once("close", (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  /** Waits until stdout matches `re`. */
  async output(re: RegExp, timeoutMs = 20_000) {
    if (!(await waitFor(() => re.test(this.stdout), timeoutMs, 25))) {
      throw new Error(
        `ambit printed no ${re} within ${timeoutMs} ms; stdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`,
      );
    }
  }
}

export type CliOptions = {
  /** Variables on top of a minimal PATH/HOME environment (e.g. AMBIT_BASE_URL, AMBIT_API_KEY, XDG_CONFIG_HOME). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  /** Keep stdin open (for follow-ups written later with `child.stdin.write`). */
  keepStdin?: boolean;
  /** The Node binary (default: the test's own, Node 22). */
  node?: string;
  /** The working directory (default: the test's). */
  cwd?: string;
};

/** A fresh config directory for one test. */
/**
 * A CLI test file's teardown: kills the CLIs still running, closes the servers it started (in
 * order; undefined ones were never started) and removes its directories.
 */
export async function tearDown({
  clis,
  servers,
  dirs,
}: {
  clis: CliProcess[];
  servers: (undefined | (() => Promise<unknown>))[];
  dirs: string[];
}) {
  for (const c of clis) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  for (const stop of servers) await stop?.();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export const freshConfigHome = () => mkdtempSync(path.join(tmpdir(), "ambit-cli-config-"));

export function startCli(bin: string, args: string[], opts: CliOptions = {}): CliProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? tmpdir(),
    NO_COLOR: "1",
    ...opts.env,
  };
  if (!env.XDG_CONFIG_HOME) env.XDG_CONFIG_HOME = freshConfigHome();
  const child = spawn(opts.node ?? process.execPath, [bin, ...args], {
    env,
    cwd: opts.cwd,
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else if (!opts.keepStdin) child.stdin!.end();
  return new CliProcess(child);
}

export const runCli = (bin: string, args: string[], opts: CliOptions = {}) =>
  startCli(bin, args, opts).done;

/** Runs a shell command line under script(1), so the CLI's stdout and stdin are a pseudo-terminal. */
export function startInTerminal(
  commandLine: string,
  opts: Pick<CliOptions, "env"> = {},
): CliProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? tmpdir(),
    TERM: "xterm",
    NO_COLOR: "1",
    XDG_CONFIG_HOME: freshConfigHome(),
    ...opts.env,
  };
  const child = spawn("script", ["-q", "-e", "-f", "-c", commandLine, "/dev/null"], {
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new CliProcess(child);
}
