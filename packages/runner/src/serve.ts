// Runs a host in the foreground until a signal: what `ambit host start` and `ambit-runner host start`
// both do once they know the platform, the key and the options.
import { homedir } from "node:os";
import path from "node:path";
import { dockerAvailable } from "./backends/docker.ts";
import { startHost } from "./host.ts";

export type ServeOptions = {
  url: string;
  apiKey: string;
  workerId: string;
  capacity: number;
  backend: "process" | "docker";
  /** with the docker backend: the image of runs whose environment names none (default `ubuntu:24.04`) */
  dockerImage?: string;
  /** where run workspaces go; default ~/.ambit/runner */
  workdir?: string;
  labels?: string[];
  /** run each run's processes as this unprivileged user (process backend, root runner; see HostOptions.agentUser) */
  agentUser?: string;
  /** clone and push to local paths and file:// URLs (see HostOptions.allowLocalRepos) */
  allowLocalRepos?: boolean;
  /** `--checkpoint-interval <seconds>` (HostOptions.checkpointIntervalMs) */
  checkpointIntervalMs?: number;
  /** serve one run, then exit (see HostOptions.once) */
  once?: boolean;
  /** where progress lines go (stderr by default) */
  log?: (line: string) => void;
};

/** The options' problems, each a sentence naming the fix (empty when they are fine). */
export function serveProblems(o: {
  workerId?: string;
  capacity: number;
  backend: string;
  agentUser?: string;
}): string[] {
  const problems: string[] = [];
  if (!o.workerId)
    problems.push(
      "--worker-id is required (the pool's name: runs with config.worker_host=<id> go to it; `warp` is the team's platform pool)",
    );
  if (!Number.isInteger(o.capacity) || o.capacity < 1 || o.capacity > 1000)
    problems.push(`--capacity must be a whole number from 1 to 1000, not '${o.capacity}'`);
  if (o.backend !== "process" && o.backend !== "docker")
    problems.push(`--backend must be 'process' or 'docker', not '${o.backend}'`);
  if (o.agentUser && o.backend === "docker")
    problems.push(
      "--agent-user is for --backend process (the docker backend runs a run's processes in its container)",
    );
  return problems;
}

/**
 * Connects and serves runs until SIGTERM/SIGINT: the first drains (no new runs, the unstarted ones
 * are handed back, the others finish), a second cancels the runs in flight. Resolves with the
 * process exit code; rejects when the host cannot start (e.g. no Docker engine, refused key).
 */
export async function serveHost(o: ServeOptions): Promise<number> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (o.backend === "docker") {
    const docker = await dockerAvailable();
    if (!docker.ok) throw new Error(`cannot use --backend docker: ${docker.message}`);
  }
  const workdir = path.resolve(o.workdir ?? path.join(homedir(), ".ambit", "runner"));
  const host = startHost({
    url: o.url,
    apiKey: o.apiKey,
    workerId: o.workerId,
    capacity: o.capacity,
    backend: o.backend,
    dockerImage: o.dockerImage,
    workdir,
    labels: o.labels ?? [],
    once: o.once,
    agentUser: o.agentUser,
    allowLocalRepos: o.allowLocalRepos,
    checkpointIntervalMs: o.checkpointIntervalMs,
  });
  await host.ready;
  if (o.backend === "process" && !o.agentUser) {
    log(
      "ambit runner: the process backend runs each run's processes as this user, who can read this runner's key (/proc/<pid>/environ); for runs you do not trust as your own shell, start it as root with --agent-user <user>, or use --backend docker",
    );
  }
  log(
    `ambit runner: connected to ${o.url} as worker ${o.workerId} (capacity ${o.capacity}, ${o.backend} backend${o.backend === "docker" && o.dockerImage ? ` (default image ${o.dockerImage})` : ""}, workdir ${workdir}${o.agentUser ? `, runs as ${o.agentUser}` : ""}${o.allowLocalRepos ? ", local repositories allowed" : ""}${o.once ? ", one run" : ""})`,
  );
  return new Promise<number>((resolve) => {
    if (o.once) void host.closed.then(() => resolve(0));
    let signals = 0;
    const onSignal = (sig: string) => {
      signals++;
      if (signals === 1) {
        log(
          `ambit runner: ${sig}: draining (no new runs; running ones finish). Send it again to stop now.`,
        );
        void host.drain().then(() => resolve(0));
      } else {
        log(`ambit runner: ${sig} again: cancelling the runs in flight`);
        void host.stop().then(() => resolve(0));
      }
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  });
}
