import { type ChildProcess, execFile, spawn as nodeSpawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { constants } from "node:os";
import { promisify } from "node:util";
import { KILL_GRACE_MS, spawnTree } from "./process.ts";
import { makePrivateDir, removePrivateDir } from "./private-dir.ts";
import type { Backend, ExitStatus, RunProcess, SpawnOptions } from "./types.ts";

const run = promisify(execFile);
/** The image of runs whose environment names none. */
export const DEFAULT_IMAGE = "ubuntu:24.04";
/** Every container of a run carries this label: `docker ps -a --filter label=ambit.run` lists them. */
export const RUN_LABEL = "ambit.run";
/** How long starting a container may take, pulling its image included. */
const START_TIMEOUT_MS = 10 * 60_000;

/** Whether a Docker engine answers (`docker info`), and if not, why, in words a user can act on. */
export async function dockerAvailable(): Promise<
  { ok: true; version: string } | { ok: false; message: string }
> {
  try {
    const { stdout } = await run("docker", ["info", "--format", "{{.ServerVersion}}"], {
      timeout: 15_000,
    });
    return { ok: true, version: stdout.trim() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why =
      e.code === "ENOENT"
        ? "the docker CLI is not installed"
        : (e.stderr?.trim() || e.message).split("\n")[0];
    return {
      ok: false,
      message: `no Docker engine is reachable (${why}); start Docker or use --backend process`,
    };
  }
}

/**
 * The `docker` backend: one container per run from the environment's image, the workspace
 * mounted at the same path, every process started with `docker exec` in it. Variables and secrets
 * reach the container through the docker CLI's environment (`-e NAME`), never its command line.
 * A runner that is not root runs the container's processes as its own uid:gid, so what they write
 * into the workspace belongs to the runner (which commits and uploads it afterwards).
 *
 * The container lives while the runner holds it: its main process is a shell reading the stdin of
 * an attached `docker run -i --rm`, which the runner never writes. When the runner ends — even
 * killed with SIGKILL — that pipe closes, the shell reads EOF and exits, and the engine removes the
 * container with everything still running in it. `dispose` removes it at once.
 * `kill` signals the process's group inside the container (docker exec makes each process a
 * session leader), SIGKILL after a grace for other signals.
 */
export async function dockerBackend(opts: {
  image?: string;
  workspace: string;
  env: Record<string, string>;
  name?: string;
}): Promise<Backend> {
  const name = opts.name?.replace(/[^A-Za-z0-9_.-]/g, "-") ?? `ambit-${randomUUID()}`;
  const image = opts.image || DEFAULT_IMAGE;
  const names = Object.keys(opts.env).filter((k) => k !== "PATH" && k !== "HOME");
  // the docker CLI finds itself and its configuration with the runner's PATH and HOME; the
  // container keeps its image's (the run's PATH and HOME are this machine's, meaningless there)
  const hostOwn = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/",
  };
  const cliEnv = { ...process.env, ...opts.env, ...hostOwn };
  const uid = process.getuid?.();
  const user = uid !== undefined && uid !== 0 ? ["--user", `${uid}:${process.getgid?.()}`] : [];
  await run("docker", ["rm", "-f", name]).catch(() => {});
  // on the host (0700, the runner's), mounted at the same path: the container's processes run as
  // the runner's uid (or root), so they read what the runner writes there, and nobody else does
  const privateDir = makePrivateDir();
  let holder: ChildProcess;
  try {
    holder = await startContainer(image, cliEnv, [
      "run",
      "-i",
      "--rm",
      "--name",
      name,
      "--init",
      "--label",
      `${RUN_LABEL}=${name}`,
      ...user,
      "-v",
      `${opts.workspace}:${opts.workspace}`,
      "-v",
      `${privateDir}:${privateDir}`,
      "-w",
      opts.workspace,
      ...names.flatMap((k) => ["-e", k]),
      image,
      "sh",
      "-c",
      "echo ready; read line; exit 0",
    ]);
  } catch (err) {
    removePrivateDir(privateDir);
    throw err;
  }

  const live = new Set<RunProcess>();
  return {
    kind: "docker",
    privateDir,
    spawn(command: string, args: string[], o: SpawnOptions = {}) {
      const extra = Object.keys(o.env ?? {}).filter((k) => k !== "PATH" && k !== "HOME");
      const p = execIn(
        name,
        opts.workspace,
        [...names, ...extra],
        { ...cliEnv, ...o.env, ...hostOwn } as Record<string, string>,
        command,
        args,
        o,
      );
      live.add(p);
      void p.wait().then(() => live.delete(p));
      return p;
    },
    async dispose() {
      await run("docker", ["rm", "-f", name]).catch(() => {});
      holder.stdin?.end();
      holder.kill("SIGKILL");
      for (const p of live) p.kill("SIGKILL");
      await Promise.all([...live].map((p) => p.wait()));
      removePrivateDir(privateDir);
    },
  };
}

/**
 * Runs the attached `docker run` and resolves once the container's shell said `ready`; rejects
 * with what to do when the image is missing or the container cannot start.
 */
function startContainer(
  image: string,
  env: NodeJS.ProcessEnv,
  args: string[],
): Promise<ChildProcess> {
  // its own process group: a Ctrl-C meant for the runner does not reach the docker CLI first
  const holder = nodeSpawn("docker", args, {
    env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  holder.stdin!.on("error", () => {});
  let stderr = "";
  holder.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      holder.kill("SIGKILL");
      fail(`timed out after ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(startError(image, why)));
    };
    holder.once("error", (e) => fail(e.message));
    holder.once("exit", (code) => fail(stderr.trim() || `docker run exited with code ${code}`));
    let out = "";
    holder.stdout!.on("data", (d) => {
      out += d;
      if (!out.includes("ready\n")) return;
      clearTimeout(timer);
      holder.removeAllListeners("exit");
      holder.stdout!.resume();
      holder.unref();
      resolve(holder);
    });
  });
}

function startError(image: string, stderr: string): string {
  const last = stderr.trim().split("\n").slice(-2).join(" ");
  if (
    /Unable to find image|pull access denied|manifest unknown|not found: manifest|repository does not exist|No such image/i.test(
      stderr,
    )
  ) {
    return `the image ${image} is not on this machine and could not be pulled (${last}); pull or build it on the host (docker pull ${image}), or set the environment's docker_image to an image the engine has`;
  }
  if (/executable file not found|"sh": .*no such file/i.test(stderr)) {
    return `the image ${image} has no sh; the docker backend needs a POSIX shell (sh) in the image (${last})`;
  }
  return `could not start a container of ${image}: ${last}`;
}

/** One process in the container with `docker exec`; kill, timeout and abort reach it inside. */
function execIn(
  container: string,
  workspace: string,
  envNames: string[],
  env: Record<string, string>,
  command: string,
  args: string[],
  o: SpawnOptions,
): RunProcess {
  const pidFile = `/tmp/ambit-${randomUUID()}.pid`;
  // the process records its pid, then becomes the command: kill reaches it (and its group) by that pid
  const script = `echo $$ > ${pidFile}; exec "$@"`;
  const dockerArgs = [
    "exec",
    "-i",
    "-w",
    o.cwd ?? workspace,
    ...envNames.flatMap((k) => ["-e", k]),
    container,
    "sh",
    "-c",
    script,
    "sh",
    command,
    ...args,
  ];
  const local = spawnTree("docker", dockerArgs, { cwd: workspace }, env);
  let exited = false;
  let timedOut = false;
  let sent: NodeJS.Signals | null = null;
  let grace: NodeJS.Timeout | undefined;

  const signalInside = (sig: NodeJS.Signals) => {
    const s = sig.replace(/^SIG/, "");
    nodeSpawn(
      "docker",
      [
        "exec",
        container,
        "sh",
        "-c",
        `p=$(cat ${pidFile} 2>/dev/null) && { kill -s ${s} -- -$p 2>/dev/null || kill -s ${s} $p; }`,
      ],
      { stdio: "ignore" },
    ).on("error", () => {});
  };
  const kill = (sig: NodeJS.Signals = "SIGTERM") => {
    if (exited) return;
    sent ??= sig;
    signalInside(sig);
    if (grace) return;
    // SIGKILL inside after the grace; then the docker CLI too, should the container be gone
    grace = setTimeout(
      () => {
        if (sig !== "SIGKILL") signalInside("SIGKILL");
        setTimeout(() => local.kill("SIGKILL"), KILL_GRACE_MS).unref();
      },
      sig === "SIGKILL" ? 0 : KILL_GRACE_MS,
    );
    grace.unref();
  };
  const timer = o.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        kill();
      }, o.timeoutMs)
    : undefined;
  const onAbort = () => kill();
  if (o.signal?.aborted) queueMicrotask(onAbort);
  else o.signal?.addEventListener("abort", onAbort, { once: true });

  const done = local.wait().then((s): ExitStatus => {
    exited = true;
    clearTimeout(timer);
    clearTimeout(grace);
    o.signal?.removeEventListener("abort", onAbort);
    // docker exec reports a process ended by signal N as 128 + N; when we sent one, say so
    const byNumber = s.exitCode !== null && s.exitCode > 128 ? signalName(s.exitCode - 128) : null;
    const signal = s.signal ?? (sent && byNumber ? byNumber : null);
    return { exitCode: signal ? null : s.exitCode, signal, timedOut };
  });
  return {
    get pid() {
      return local.pid;
    },
    stdin: local.stdin,
    stdout: local.stdout,
    stderr: local.stderr,
    wait: () => done,
    kill,
  };
}

const signalName = (n: number) =>
  (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ??
  null;
