import { checkCliVersions } from "./harness/cli/versions.ts";
import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  type HostCli,
  type HostMessage,
  ServerHostMessage,
  type TaskAssignment,
} from "@ambit/protocol";
import { type AgentUser, checkAgentUserReaches, resolveAgentUser } from "./backends/agent-user.ts";
import { type GroupLedger, groupLedger, sweepOrphanGroups } from "./backends/orphans.ts";
import { sweepPrivateDirs } from "./backends/private-dir.ts";
import { processBackend } from "./backends/process.ts";
import type { Backend } from "./backends/types.ts";
import { createHarness } from "./harness/index.ts";
import type { Harness } from "./harness/types.ts";
import { type Backoff, ReconnectingSocket } from "./net/reconnecting-socket.ts";
import { type ArtifactOptions, artifactCollector } from "./run/artifacts.ts";
import type { RunDeps } from "./run/run-handle.ts";
import { RunHandle } from "./run/run-handle.ts";

type FinalMessage = Extract<
  HostMessage,
  { type: "task_completed" | "task_failed" | "task_rejected" }
>;

export const RUNNER_VERSION = "0.1.0";
/** Final reports are sent again after a reconnect for this long (the pool ignores one it already has). */
const FINAL_RESEND_MS = 60_000;

export type HostOptions = {
  /** the platform, e.g. `http://localhost:8787` */
  url: string;
  apiKey: string;
  workerId: string;
  /** runs at once (default 1) */
  capacity?: number;
  /** `process` (default) or `docker` */
  backend?: "process" | "docker";
  /** with the docker backend: the image of runs whose environment names none (default `ubuntu:24.04`) */
  dockerImage?: string;
  /**
   * Clone and push to local paths and file:// URLs too (`--allow-local-repos`). Off by default: a
   * run's repository URL would otherwise read (or its push write) this machine's disk.
   */
  allowLocalRepos?: boolean;
  /** how often a working run's workspace is checkpointed (default 5 min; 0: at turns and stops only) */
  checkpointIntervalMs?: number;
  /**
   * With the process backend, a root runner: run every process of a run as this unprivileged user
   * (`--agent-user`), so nothing the agent runs can read the runner's credential (its environment,
   * `/proc/<runner>/environ`). See backends/agent-user.ts.
   */
  agentUser?: string;
  /** where run workspaces live (`<workdir>/runs/<run>.<execution>`) */
  workdir: string;
  labels?: string[];
  /** harnesses by type; falls back to `resolveHarness`, then to the built-in ones */
  harnesses?: Record<string, Harness>;
  resolveHarness?: (type: string) => Harness | null;
  /** how the run's backend is made; by default from `backend` */
  makeBackend?: RunDeps["makeBackend"];
  /** where PRs are opened (GitHub API URLs); false: collect no artifacts */
  artifacts?: Omit<ArtifactOptions, "baseUrl"> | false;
  /** one JSON-able line per notable thing; default: JSON lines on stderr */
  log?: (entry: Record<string, unknown>) => void;
  /** false: skip asking the vendor CLIs for their `--version` at start (logged; on by default) */
  checkCliVersions?: boolean;
  backoff?: Backoff;
  onHarnessStart?: RunDeps["onHarnessStart"];
  /** serve one run, then drain and disconnect (a runner container the platform started per run) */
  once?: boolean;
  /**
   * false: no watchdog killing the runs' process groups when this runner dies (backends/orphans.ts);
   * the next runner on the workdir still does. Tests turn it off to see that second line alone.
   */
  orphanWatchdog?: boolean;
};

export type Host = {
  /** resolves once the pool welcomed this host the first time (rejects if it refused the key) */
  ready: Promise<void>;
  /** task ids of the runs in flight */
  running(): string[];
  readonly connected: boolean;
  /** no new runs; hands back those not started, waits for the others, then disconnects */
  drain(): Promise<void>;
  /** stops at once: runs in flight are cancelled and reported CANCELLED */
  stop(): Promise<void>;
  /** drops the pool connection and every run's session connection as a network failure would (they reconnect) */
  reconnect(): void;
  /** resolves once the host has disconnected for good (after `drain`, `stop`, or its one run with `once`) */
  closed: Promise<void>;
};

/**
 * Starts a host: connects to the team's pool for `workerId`, says hello with its capacity, takes
 * assignments within it and runs each (see RunHandle), heartbeats, and reconnects with backoff.
 * Runs in flight survive a reconnect: the new hello lists them and the pool moves them over.
 */
export function startHost(options: HostOptions): Host {
  const capacity = options.capacity ?? 1;
  const log =
    options.log ??
    ((e) => process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`));
  const agentUser = options.agentUser ? resolveAgentUser(options.agentUser) : undefined;
  if (agentUser && options.backend === "docker")
    throw new Error(
      "--agent-user is for the process backend; the docker backend runs a run's processes in its container",
    );
  const swept = sweepPrivateDirs(undefined, agentUser?.uid);
  if (swept)
    log({
      msg: "removed private run directories that runners killed earlier left behind",
      count: swept,
    });
  const runs = new Map<string, RunHandle>();
  /** reports of runs that ended recently, sent again after a reconnect */
  const finals = new Map<string, { msg: FinalMessage; at: number }>();
  /** messages that could not be sent while disconnected, in order */
  let outbox: HostMessage[] = [];
  let draining = false;
  /** a run was taken (with `once`, no other is) */
  let served = false;
  let stopped = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let welcomed = false;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});
  let resolveClosed!: () => void;
  const closed = new Promise<void>((res) => (resolveClosed = res));

  // which vendor CLIs this host has, and whether their versions are the tested ones: logged, and
  // said in every hello (the first waits for the check: a few seconds at most)
  let clis: HostCli[] = [];
  const cliCheck =
    options.checkCliVersions === false
      ? Promise.resolve()
      : checkCliVersions(log).then(
          (found) => {
            clis = found.map((c) => ({
              name: c.cli,
              version: c.version,
              tested: c.tested,
              in_tested_range: c.inRange,
            }));
          },
          () => {},
        );
  /** the connection the pool welcomed last */
  let connection: string | undefined;
  mkdirSync(path.join(options.workdir, "runs"), { recursive: true });
  if (agentUser) checkAgentUserReaches(agentUser, path.join(options.workdir, "runs"));
  const orphans = sweepOrphanGroups(options.workdir);
  if (orphans)
    log({ msg: "killed process groups that a runner killed earlier left running", count: orphans });
  const groups =
    (options.backend ?? "process") === "process" && !options.makeBackend
      ? groupLedger(options.workdir, { watchdog: options.orphanWatchdog })
      : undefined;
  const resolveHarness = (type: string) =>
    options.harnesses?.[type] ?? options.resolveHarness?.(type) ?? createHarness(type);
  const makeBackend =
    options.makeBackend ??
    defaultBackend(options.backend ?? "process", options.dockerImage, agentUser, groups);

  const base = options.url.replace(/\/$/, "");
  const socket = new ReconnectingSocket(
    () =>
      `${base.replace(/^http/, "ws")}/api/v1/selfhosted/worker/ws?worker_id=${encodeURIComponent(options.workerId)}`,
    { authorization: `Bearer ${options.apiKey}` },
    {
      onOpen: () => log({ msg: "connected to the pool", worker_id: options.workerId }),
      onMessage: (text) => onMessage(text),
      onClose: (code, reason) => {
        clearInterval(heartbeat);
        connection = undefined;
        if (!stopped)
          log({
            msg: "pool connection lost; reconnecting",
            code,
            reason,
            running: [...runs.keys()],
          });
      },
      onRefused: (status, body) => {
        const fatal = status === 401 || status === 403 || status === 400;
        log({
          msg: fatal
            ? "the pool refused this host; stopping"
            : "the pool refused the connection; retrying",
          status,
          body: body.slice(0, 500),
        });
        if (fatal) {
          rejectReady(
            new Error(
              `the platform refused the host connection (${status}): ${body.slice(0, 300)}`,
            ),
          );
          stopped = true;
        }
        return fatal;
      },
    },
    options.backoff,
  );

  const runDeps: RunDeps = {
    baseUrl: base,
    workdir: options.workdir,
    makeBackend,
    resolveHarness,
    allowLocalRepos: options.allowLocalRepos,
    checkpointIntervalMs: options.checkpointIntervalMs,
    send: (msg) => send(msg),
    log,
    collectArtifacts:
      options.artifacts === false
        ? undefined
        : artifactCollector({
            baseUrl: base,
            allowLocalRepos: options.allowLocalRepos,
            ...options.artifacts,
          }),
    sessionBackoff: options.backoff,
    onHarnessStart: options.onHarnessStart,
  };

  function send(msg: HostMessage) {
    if (
      msg.type === "task_completed" ||
      msg.type === "task_failed" ||
      msg.type === "task_rejected"
    ) {
      finals.set(msg.data.task_id, { msg: msg as FinalMessage, at: Date.now() });
    }
    if (!socket.send(JSON.stringify(msg))) outbox.push(msg);
  }

  function hello() {
    const now = Date.now();
    for (const [id, f] of finals) if (now - f.at > FINAL_RESEND_MS) finals.delete(id);
    const held = [...runs.values()].map((r) => ({
      task_id: r.taskId,
      execution_id: r.executionId,
    }));
    const ended = [...finals.values()].filter(
      (f) => !runs.has(f.msg.data.task_id) && f.msg.type !== "task_rejected",
    );
    socket.send(
      JSON.stringify({
        type: "hello",
        data: {
          capacity: draining ? 0 : capacity,
          labels: options.labels ?? [],
          version: RUNNER_VERSION,
          clis,
          running: [...held, ...ended.map((f) => ({ task_id: f.msg.data.task_id }))],
        },
      } satisfies HostMessage),
    );
    // what could not be sent while disconnected, then the reports the old connection may have lost
    const queued = outbox;
    outbox = [];
    const resend = ended.map((f) => f.msg).filter((m) => !queued.includes(m));
    for (const m of [...queued, ...resend]) socket.send(JSON.stringify(m));
  }

  /** Says hello on the connection just welcomed, then heartbeats on it. */
  function welcome(heartbeatMs: number) {
    hello();
    clearInterval(heartbeat);
    heartbeat = setInterval(
      () =>
        socket.send(
          JSON.stringify({
            type: "heartbeat",
            data: { running: [...runs.keys()] },
          } satisfies HostMessage),
        ),
      heartbeatMs,
    );
    heartbeat.unref();
    if (!welcomed) {
      welcomed = true;
      resolveReady();
    }
  }

  function onMessage(text: string) {
    let msg: ServerHostMessage;
    try {
      msg = ServerHostMessage.parse(JSON.parse(text));
    } catch {
      return log({ msg: "unreadable pool message", text: text.slice(0, 200) });
    }
    switch (msg.type) {
      case "welcome": {
        const conn = (connection = msg.data.connection_id);
        const every = msg.data.heartbeat_interval_ms;
        // unless the connection was lost (or the host stopped) meanwhile
        void cliCheck.then(() => connection === conn && !stopped && welcome(every));
        return;
      }
      case "task_assignment":
        return assign(msg.data);
      case "task_cancellation":
        return runs.get(msg.data.task_id)?.cancel(msg.data.reason ?? "cancelled");
      case "error":
        return log({
          msg: "the pool reported an error",
          code: msg.data.code,
          message: msg.data.message,
        });
    }
  }

  function assign(a: TaskAssignment) {
    const current = runs.get(a.task_id);
    if (current && current.executionId >= a.execution_id) {
      // offered again what this host already runs: the pool lost our claim (we were disconnected
      // before it arrived) and put the run back in line; claim it again rather than run it twice
      const ref = { task_id: a.task_id, execution_id: current.executionId };
      send({ type: "task_claimed", data: ref });
      if (current.started) send({ type: "task_started", data: ref });
      return;
    }
    const reject = (reason: string) =>
      send({
        type: "task_rejected",
        data: { task_id: a.task_id, execution_id: a.execution_id, reason },
      });
    if (draining || stopped) return reject("the host is shutting down");
    if (options.once && served) return reject("this host serves one run (--once) and has had it");
    if (runs.size >= capacity) return reject(`the host is at capacity (${capacity})`);
    finals.delete(a.task_id);
    served = true;
    const run = new RunHandle(a, runDeps);
    runs.set(a.task_id, run);
    log({ msg: "run assigned", task_id: a.task_id, execution_id: a.execution_id });
    void run.done.then((final) => {
      if (runs.get(a.task_id) === run) runs.delete(a.task_id);
      log({ msg: "run ended", task_id: a.task_id, state: final?.state ?? "handed back" });
      if (options.once) {
        log({ msg: "served its one run (--once): draining" });
        void drain();
      }
    });
  }

  async function drain() {
    if (draining) return;
    draining = true;
    log({ msg: "draining: no new runs", running: [...runs.keys()] });
    socket.send(
      JSON.stringify({
        type: "hello",
        data: {
          capacity: 0,
          labels: options.labels ?? [],
          version: RUNNER_VERSION,
          clis,
          running: [...runs.values()].map((r) => ({
            task_id: r.taskId,
            execution_id: r.executionId,
          })),
        },
      } satisfies HostMessage),
    );
    for (const r of runs.values()) r.handBack("the host is shutting down");
    await Promise.all([...runs.values()].map((r) => r.done));
    await flushOutbox();
    close();
  }

  async function stop() {
    draining = true;
    for (const r of runs.values()) r.cancel("the host is shutting down");
    await Promise.all([...runs.values()].map((r) => r.done));
    await flushOutbox();
    close();
  }

  /** Gives the socket a moment to deliver the last reports (and to reconnect if it is down). */
  async function flushOutbox(timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while ((outbox.length || !socket.open) && Date.now() < deadline && !stopped)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
  }

  function close() {
    stopped = true;
    groups?.close();
    clearInterval(heartbeat);
    socket.close(1000, "host stopped");
    resolveClosed();
  }

  return {
    ready,
    running: () => [...runs.keys()],
    get connected() {
      return socket.open;
    },
    drain,
    stop,
    closed,
    reconnect: () => {
      socket.reconnect();
      for (const r of runs.values()) r.reconnectSession();
    },
  };
}

function defaultBackend(
  kind: "process" | "docker",
  dockerImage?: string,
  agentUser?: AgentUser,
  groups?: GroupLedger,
): RunDeps["makeBackend"] {
  return async (a, workspace, env): Promise<Backend> => {
    if (kind === "docker") {
      const { dockerBackend } = await import("./backends/docker.ts");
      return dockerBackend({
        image: a.environment?.docker_image || dockerImage,
        workspace,
        env,
        name: `ambit-${a.run_id}-${a.execution_id}`,
      });
    }
    return processBackend(workspace, env, { user: agentUser, groups });
  };
}
