import { spawn as nodeSpawn, execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { spawnTree } from "./process.ts";
import type { Backend, RunProcess, SpawnOptions } from "./types.ts";

const run = promisify(execFile);
/** The image of runs whose environment names none. */
export const DEFAULT_IMAGE = "ubuntu:24.04";

/** Whether a Docker engine answers (`docker info`), and if not, why, in words a user can act on. */
export async function dockerAvailable(): Promise<{ ok: true; version: string } | { ok: false; message: string }> {
  try {
    const { stdout } = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 15_000 });
    return { ok: true, version: stdout.trim() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === "ENOENT" ? "the docker CLI is not installed" : (e.stderr?.trim() || e.message).split("\n")[0];
    return { ok: false, message: `no Docker engine is reachable (${why}); start Docker or use --backend process` };
  }
}

/**
 * The `docker` backend: one container per run from the environment's image, the workspace
 * mounted at the same path, every process started with `docker exec` in it. Variables and secrets
 * reach the container through the docker CLI's environment (`-e NAME`), never its command line.
 * `kill` signals the process's group inside the container; `dispose` removes the container, which
 * ends everything that still runs in it.
 */
export async function dockerBackend(opts: { image?: string; workspace: string; env: Record<string, string>; name?: string }): Promise<Backend> {
  const name = opts.name?.replace(/[^A-Za-z0-9_.-]/g, "-") ?? `ambit-${randomUUID()}`;
  const image = opts.image || DEFAULT_IMAGE;
  const names = Object.keys(opts.env).filter((k) => k !== "PATH" && k !== "HOME");
  const cliEnv = { ...process.env, ...opts.env };
  await run("docker", ["rm", "-f", name]).catch(() => {});
  const created = await run(
    "docker",
    ["run", "-d", "--name", name, "--init", "-v", `${opts.workspace}:${opts.workspace}`, "-w", opts.workspace, ...names.flatMap((k) => ["-e", k]), image, "sleep", "infinity"],
    { env: cliEnv, timeout: 10 * 60_000 },
  ).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`could not start a container of ${image}: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`);
  });
  void created;

  const live = new Set<RunProcess>();
  return {
    kind: "docker",
    spawn(command: string, args: string[], o: SpawnOptions = {}) {
      const pidFile = `/tmp/ambit-${randomUUID()}.pid`;
      const extra = Object.keys(o.env ?? {});
      // the process records its pid, then becomes the command: kill reaches it (and its group) by that pid
      const script = `echo $$ > ${pidFile}; exec "$@"`;
      const dockerArgs = ["exec", "-i", "-w", o.cwd ?? opts.workspace, ...[...names, ...extra].flatMap((k) => ["-e", k]), name, "sh", "-c", script, "sh", command, ...args];
      const local = spawnTree("docker", dockerArgs, { cwd: opts.workspace, timeoutMs: o.timeoutMs, signal: o.signal }, { ...cliEnv, ...o.env } as Record<string, string>);
      const signalInside = (sig: NodeJS.Signals) => {
        const s = sig.replace(/^SIG/, "");
        nodeSpawn("docker", ["exec", name, "sh", "-c", `p=$(cat ${pidFile} 2>/dev/null) && { kill -s ${s} -- -$p 2>/dev/null || kill -s ${s} $p; }`], { stdio: "ignore" }).on("error", () => {});
      };
      const onAbort = () => signalInside("SIGKILL");
      o.signal?.addEventListener("abort", onAbort, { once: true });
      const p: RunProcess = {
        get pid() { return local.pid; },
        stdin: local.stdin,
        stdout: local.stdout,
        stderr: local.stderr,
        wait: () => local.wait(),
        kill: (sig = "SIGTERM") => {
          signalInside(sig);
          local.kill(sig);
        },
      };
      live.add(p);
      void local.wait().then(() => {
        live.delete(p);
        o.signal?.removeEventListener("abort", onAbort);
      });
      return p;
    },
    async dispose() {
      await run("docker", ["rm", "-f", name]).catch(() => {});
      for (const p of live) p.kill("SIGKILL");
      await Promise.all([...live].map((p) => p.wait()));
    },
  };
}
