// Shared setup for the runner e2e tests: team configuration over the API (secrets, catalog models,
// environments, MCP servers), runs created with POST /agent/runs and read back, and host runners —
// in this process (`startHost`) or in a child process (test/fakes/runner-process.ts) when a test
// must kill it or give it its own PATH.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { type Host, type HostOptions, startHost } from "../../packages/runner/src/host.ts";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { api, type E2eServer, type Json, waitFor } from "./helpers.ts";

export const FAKES = path.join(ROOT, "test/fakes");
export const TERMINAL = ["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"];

/** POSTs `body` as the team's owner and expects `status`; returns the JSON answer. */
export async function post(s: E2eServer, route: string, body: Json, status = 201): Promise<Json> {
  const res = await api(s.url, "POST", route, { key: s.key, body });
  expect(res.status, `POST ${route}: ${res.text}`).toBe(status);
  return res.json;
}

/** Team configuration over the API, as a team admin makes it. */
export const configure = (s: E2eServer) => ({
  secret: (name: string, value: string, type?: string) =>
    post(s, "/api/v1/agent/secrets", { name, value, ...(type ? { type } : {}) }),
  /** a catalog model served by a local model server (test/fakes/model-server.ts), its key in the secret `keySecret` */
  model: (
    id: string,
    serverUrl: string,
    keySecret: string,
    provider: "openai" | "anthropic" = "openai",
  ) =>
    post(s, "/api/v1/agent/models", {
      id,
      provider,
      model: `${id}-model`,
      base_url: `${serverUrl}/v1`,
      api_key_secret: keySecret,
    }),
  /** creates an environment and returns its uid */
  environment: async (body: Json) => {
    const env = await post(s, "/api/v1/agent/environments", body);
    const uid = env.uid ?? env.id ?? env.environment?.uid;
    expect(uid, JSON.stringify(env)).toBeTruthy();
    return uid as string;
  },
  /** registers an MCP server and returns its uid (a run names it with `mcp_servers.<name>.warp_id`) */
  mcpServer: async (name: string, config: Json) =>
    (await post(s, "/api/v1/agent/mcp-servers", { name, config })).uid as string,
});

/** The scripted model server (test/fakes/model-server.ts) as the team's catalog model `id`, its key in the secret MODEL_KEY. */
export async function useModelServer(
  s: E2eServer,
  id: string,
  serverUrl: string,
  key = "sk-fake-model-key",
) {
  const cfg = configure(s);
  await cfg.secret("MODEL_KEY", key, "openai_api_key");
  await cfg.model(id, serverUrl, "MODEL_KEY");
}

/** POST /agent/runs for `workerId`'s hosts; returns the run id. */
export async function createRun(s: E2eServer, prompt: string, workerId: string, config: Json = {}) {
  const created = await post(
    s,
    "/api/v1/agent/runs",
    { prompt, config: { ...config, worker_host: workerId } },
    200,
  );
  return created.run_id as string;
}

export const getRun = async (s: E2eServer, runId: string) =>
  (await api(s.url, "GET", `/api/v1/agent/runs/${runId}`, { key: s.key })).json as Json;

/** Polls the run until `pred` holds; throws with the last state and status message otherwise. */
export async function untilRun(
  s: E2eServer,
  runId: string,
  pred: (r: Json) => boolean,
  timeoutMs = 20_000,
): Promise<Json> {
  let run: Json = {};
  const ok = await waitFor(async () => pred((run = await getRun(s, runId))), timeoutMs, 100);
  if (!ok)
    throw new Error(
      `run ${runId}: expected state not reached in ${timeoutMs} ms; last: ${JSON.stringify({ state: run.state, status_message: run.status_message })}`,
    );
  return run;
}

export const untilEnded = (s: E2eServer, runId: string, timeoutMs = 30_000) =>
  untilRun(s, runId, (r) => TERMINAL.includes(r.state), timeoutMs);

/** Every event of the run, page by page. */
export async function eventsOf(s: E2eServer, runId: string): Promise<Json[]> {
  const out: Json[] = [];
  for (let after = 0; ; ) {
    const res = await api(
      s.url,
      "GET",
      `/api/v1/agent/runs/${runId}/events?after=${after}&limit=1000`,
      { key: s.key },
    );
    expect(res.status, res.text).toBe(200);
    out.push(...res.json.events);
    if (!res.json.has_more) return out;
    after = out[out.length - 1].seq;
  }
}

export const stdoutOf = (events: Json[], callId?: string) =>
  events
    .filter(
      (e) =>
        e.type === "command.output" &&
        e.payload.stream === "stdout" &&
        (!callId || e.payload.call_id === callId),
    )
    .map((e) => e.payload.chunk)
    .join("");

export const payloadsOf = (events: Json[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.payload);

/** Waits until `n` hosts of `workerId` with capacity are connected. */
export async function untilHosts(s: E2eServer, workerId: string, n: number, timeoutMs = 15_000) {
  const ok = await waitFor(async () => {
    const res = await api(s.url, "GET", "/api/v1/hosts", { key: s.key });
    return (
      res.json.hosts.filter((h: Json) => h.worker_id === workerId && h.capacity > 0).length === n
    );
  }, timeoutMs);
  expect(ok, `${n} hosts of ${workerId}`).toBe(true);
}

/**
 * A runner in this process on its own workdir under `dir`, with the built-in harnesses unless
 * `opts.harnesses` replaces some. Stop it with `host.stop()`.
 */
export async function inProcessHost(
  s: E2eServer,
  dir: string,
  workerId: string,
  opts: Partial<HostOptions> = {},
): Promise<Host> {
  const host = startHost({
    url: s.url,
    apiKey: s.key,
    workerId,
    capacity: 2,
    workdir: mkdtempSync(path.join(dir, "wd-")),
    backoff: { initialMs: 100, maxMs: 1_000 },
    log: () => {},
    ...opts,
  });
  await host.ready;
  await untilHosts(s, workerId, 1);
  return host;
}

export type ChildHost = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
};

/**
 * A runner in a child process (test/fakes/runner-process.ts): `harness: "shell"` runs the shell
 * test harness as `ambit`, `"builtin"` the real harnesses. `env` is added to the child's
 * environment (e.g. a PATH holding CLI stand-ins: the process backend passes the host's PATH on).
 */
export function childHost(
  s: E2eServer,
  workerId: string,
  workdir: string,
  opts: { harness?: "shell" | "builtin"; env?: Record<string, string> } = {},
): ChildHost {
  const child = spawn(
    process.execPath,
    [path.join(FAKES, "runner-process.ts"), s.url, workerId, workdir],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...opts.env,
        AMBIT_API_KEY: s.key,
        RUNNER_HARNESS: opts.harness ?? "shell",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Whether `pid` is a live (not zombie) process. */
export const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

export function safeKill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone */
  }
}
