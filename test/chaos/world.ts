// What every chaos scenario (and the soak bench) runs in: a real `wrangler dev` on fresh state, the
// scripted model server playing "run a shell command, then answer" in its own process
// (`model-process.ts`), real runner processes with the built-in harness that
// reach the platform through a fault proxy (so their sockets can be cut), and a steady stream of
// runs, some watched live by SDK viewers through the same proxy.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ambit } from "../../packages/sdk/src/index.ts";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { FaultProxy } from "../e2e/fault-proxy.ts";
import { api, type E2eServer, startE2eServer } from "../e2e/helpers.ts";

export const POOL = "chaos";
export const MODEL = "chaos-model";

export type Runner = { id: number; child: ChildProcess; exited: Promise<number | null> };

export type World = {
  server: E2eServer;
  /** the platform as runners and viewers reach it (through the fault proxy) */
  proxy: FaultProxy;
  /** the scripted model server's process */
  model: { url: string; pid: number; close(): Promise<void> };
  /** lines `start <token> <ms>` and `end <token> <ms>` that each execution's shell command writes */
  workLog: string;
  runners: Runner[];
  startRunner(): Promise<Runner>;
  /** an SDK client of the team's owner, through the proxy */
  sdk: Ambit;
  stop(): Promise<void>;
};

export async function startWorld(opts: { workSeconds: number; dir: string }): Promise<World> {
  const server = await startE2eServer({ teamName: "chaos" });
  const proxy = await FaultProxy.start(server.server.port);
  const workLog = path.join(opts.dir, "work.log");
  appendFileSync(workLog, "");
  const model = await startModel(opts.dir, workLog, opts.workSeconds);
  const owner = { key: server.key };
  const post = async (route: string, body: unknown) => {
    const res = await api(server.url, "POST", route, { ...owner, body });
    if (res.status >= 300) throw new Error(`POST ${route}: ${res.status} ${res.text}`);
  };
  await post("/api/v1/agent/secrets", {
    name: "MODEL_KEY",
    value: "sk-chaos",
    type: "openai_api_key",
  });
  await post("/api/v1/agent/models", {
    id: MODEL,
    provider: "openai",
    model: "chaos",
    base_url: `${model.url}/v1`,
    api_key_secret: "MODEL_KEY",
  });
  const runners: Runner[] = [];
  let next = 0;
  const startRunner = async () => {
    const id = ++next;
    const workdir = mkdtempSync(path.join(opts.dir, `runner-${id}-`));
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "test/fakes/runner-process.ts"), proxy.url, POOL, workdir, "3"],
      {
        cwd: ROOT,
        env: { ...process.env, AMBIT_API_KEY: server.key, RUNNER_HARNESS: "builtin" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes('"ready"')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`runner ${id} did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const runner = { id, child, exited };
    runners.push(runner);
    return runner;
  };
  const sdk = new Ambit({ apiKey: server.key, baseURL: proxy.url, maxRetries: 8 });
  return {
    server,
    proxy,
    model,
    workLog,
    runners,
    startRunner,
    sdk,
    async stop() {
      for (const r of runners) {
        try {
          process.kill(-(r.child.pid as number), "SIGKILL");
        } catch {
          /* gone */
        }
      }
      await proxy.stop();
      await model.close();
      await server.stop();
    },
  };
}

/** One logical run the load asked for: its token, and the run id the platform answered (if any). */
export type Planned = {
  token: string;
  runId?: string;
  createdAt: number;
  /** when the create was answered (after the SDK's retries) */
  answeredAt?: number;
  error?: string;
};

/** Creates a run every `everyMs` until stopped; each create carries its own idempotency key. */
export function steadyLoad(world: World, everyMs: number) {
  return steadily(
    everyMs,
    (): Planned => ({ token: randomUUID(), createdAt: Date.now() }),
    (p) =>
      world.sdk.agent.runs
        .create(
          { prompt: `chaos-token:${p.token}`, config: { worker_host: POOL, model_id: MODEL } },
          { idempotencyKey: `chaos-${p.token}` },
        )
        .then((r) => {
          p.runId = r.run_id;
          p.answeredAt = Date.now();
        }),
  );
}

/**
 * Starts `send(item)` for a new item every `everyMs` until stopped, none waiting for another; a
 * send that throws records its error on the item. `stop()` resolves once every send has settled.
 */
export function steadily<P extends { error?: string }>(
  everyMs: number,
  make: () => P,
  send: (p: P) => Promise<void>,
) {
  const planned: P[] = [];
  let stopped = false;
  const inflight: Promise<void>[] = [];
  const loop = (async () => {
    while (!stopped) {
      const p = make();
      planned.push(p);
      inflight.push(send(p).catch((err) => void (p.error = String(err))));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    planned,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inflight);
    },
  };
}

/** Starts `model-process.ts`; resolves once it listens. */
async function startModel(dir: string, workLog: string, workSeconds: number) {
  const child = spawn(
    process.execPath,
    [path.join(import.meta.dirname, "model-process.ts"), workLog, String(workSeconds)],
    { cwd: dir, stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise((r) => child.once("exit", r));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const line = out.match(/^(\{.*\})\n/m)?.[1];
      if (line) resolve(JSON.parse(line).url);
    });
    child.once("exit", (code) => reject(new Error(`the model server exited (${code}): ${out}`)));
  });
  return {
    url,
    pid: child.pid as number,
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}

/** Per token: every execution of its work, from the work log. */
export function executions(workLog: string): Map<string, { start: number; end?: number }[]> {
  const out = new Map<string, { start: number; end?: number }[]>();
  for (const line of readFileSync(workLog, "utf8").split("\n")) {
    const [what, token, at] = line.split(" ");
    if (!token) continue;
    const list = out.get(token) ?? [];
    if (what === "start") list.push({ start: Number(at) });
    else if (what === "end") {
      const open = list.find((e) => e.end === undefined);
      if (open) open.end = Number(at);
    }
    out.set(token, list);
  }
  return out;
}

export function scratchDir(root: string, name: string) {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
