// The real vendor CLIs (Claude Code, Codex, Gemini CLI, OpenCode at the versions pinned in
// test/vendor-clis/package.json) driven by the host runner's harnesses against a real
// `wrangler dev`, their model API being the scripted model server (test/fakes/model-server.ts):
// a tool call that changes a file, a follow-up that resumes the same conversation (also on the
// ended run, from the session the checkpoint kept, as another host would), and a refused
// key that ends FAILED with a clear message in under 30 s, a cancel mid-turn, usage, and the run's
// MCP servers (a stdio one and an HTTP one, each given a team secret by placeholder, which no event
// may show). One base URL per provider is configured as a team secret (ANTHROPIC_BASE_URL serves
// Claude Code and OpenCode alike). The team's model gateway is on (the default): the CLIs call it
// with the run's credential, and it calls the model server with the team's key and base URL
// (docs/gateway.md).
//
// The CLIs are installed by .ci/run (`npm install --prefix test/vendor-clis`), outside the root
// install; without them these tests skip, saying so.
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TESTED_CLIS } from "../../packages/runner/src/harness/cli/versions.ts";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { startMcpHttpServer } from "../fakes/mcp-http-server.ts";
import {
  type ModelServer,
  type Script,
  type ScriptedTurn,
  startModelServer,
} from "../fakes/model-server.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";
import {
  alive,
  type ChildHost,
  childHost,
  createRun,
  eventsOf,
  payloadsOf,
  untilEnded,
  untilHosts,
} from "./runner-setup.ts";

const BIN = path.join(ROOT, "test/vendor-clis/node_modules/.bin");
const CLIS = ["claude", "codex", "gemini", "opencode"] as const;
type Cli = (typeof CLIS)[number];
const missing = CLIS.filter((c) => !existsSync(path.join(BIN, c)));
if (missing.length) {
  console.warn(
    `vendor-clis.test.ts: skipping ${missing.join(", ")}: not installed in test/vendor-clis (run \`npm install --prefix test/vendor-clis\`, as .ci/run does)`,
  );
}

const WORKER = "e2e-vendor-clis";
const GOOD_KEY = "sk-vendor-good-4b1e";
const BAD_KEY = "sk-vendor-bad-9d0c";
// team secrets an MCP server's env and headers name by placeholder
const LOOKUP_SECRET = "lookup-secret-5e2a";
const ISSUES_TOKEN = "issues-token-c71f";

const ANTHROPIC_REFUSED = JSON.stringify({
  type: "error",
  error: { type: "authentication_error", message: "invalid x-api-key" },
});

/** How each CLI is run: its model, its shell tool and the secrets naming its provider. */
const SETUPS: Record<
  Cli,
  {
    model: string;
    shell: (command: string) => { name: string; args: Record<string, unknown> };
    key: [name: string, type: string];
    /** the provider's base URL secret, its value for a server at `url` (one form per provider) */
    base: (url: string) => [name: string, value: string];
    /** an HTTP 401 body as the provider writes it */
    refused: string;
    /** a call of the MCP server's tool as the model makes it, under the name the CLI gives it */
    mcpTool: (server: string, tool: string, args: Record<string, unknown>) => ToolCall;
  }
> = {
  claude: {
    model: "claude-sonnet-4-5",
    shell: (command) => ({ name: "Bash", args: { command, description: "run it" } }),
    key: ["ANTHROPIC_API_KEY", "anthropic_api_key"],
    base: (url) => ["ANTHROPIC_BASE_URL", url],
    refused: ANTHROPIC_REFUSED,
    mcpTool: (server, tool, args) => ({ name: `mcp__${server}__${tool}`, args }),
  },
  codex: {
    model: "gpt-5",
    shell: (command) => ({ name: "exec_command", args: { cmd: command } }),
    key: ["OPENAI_API_KEY", "openai_api_key"],
    base: (url) => ["OPENAI_BASE_URL", `${url}/v1`],
    refused: JSON.stringify({
      error: { message: "Incorrect API key provided", type: "invalid_request_error" },
    }),
    // Codex offers a server's tools in a namespace of their own
    mcpTool: (server, tool, args) => ({ name: tool, namespace: `mcp__${server}`, args }),
  },
  gemini: {
    model: "gemini-2.5-pro",
    shell: (command) => ({ name: "run_shell_command", args: { command } }),
    key: ["GEMINI_API_KEY", "raw_value"],
    base: (url) => ["GOOGLE_GEMINI_BASE_URL", url],
    refused: JSON.stringify({
      error: { code: 401, message: "API key not valid.", status: "UNAUTHENTICATED" },
    }),
    mcpTool: (server, tool, args) => ({ name: `mcp_${server}_${tool}`, args }),
  },
  opencode: {
    model: "anthropic/claude-sonnet-4-5",
    shell: (command) => ({ name: "bash", args: { command, description: "run it" } }),
    key: ["ANTHROPIC_API_KEY", "anthropic_api_key"],
    // the same secret as Claude Code's, without /v1: the adapter adds what OpenCode needs
    base: (url) => ["ANTHROPIC_BASE_URL", url],
    refused: ANTHROPIC_REFUSED,
    mcpTool: (server, tool, args) => ({ name: `${server}_${tool}`, args }),
  },
};

let s: E2eServer;
let dir: string;
let host: ChildHost;
let workdir: string;
let home: string;
const servers: ModelServer[] = [];
const closers: (() => Promise<void>)[] = [];
type ToolCall = NonNullable<ScriptedTurn["toolCalls"]>[number];

beforeAll(async () => {
  if (missing.length === CLIS.length) return;
  s = await startE2eServer({ teamName: "e2e-vendor-clis" });
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-vendor-"));
  // the CLIs first on the runner's PATH (the process backend passes it on), a home of their own
  workdir = mkdtempSync(path.join(dir, "wd-"));
  host = childHost(s, WORKER, workdir, {
    harness: "builtin",
    env: {
      PATH: `${BIN}:${path.dirname(process.execPath)}:${process.env.PATH}`,
      HOME: (home = mkdtempSync(path.join(dir, "home-"))),
    },
  });
  await untilHosts(s, WORKER, 1, 30_000);
}, 120_000);

afterAll(async () => {
  if (host && host.child.exitCode === null) {
    host.child.kill("SIGKILL");
    await host.exited;
  }
  await Promise.all([...servers.map((m) => m.close()), ...closers.map((c) => c())]);
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Sets the team secret `name` (made the first time, changed after). */
async function secret(name: string, value: string, type?: string) {
  const made = await api(s.url, "POST", "/api/v1/agent/secrets", {
    key: s.key,
    body: { name, value, ...(type ? { type } : {}) },
  });
  if (made.status === 201) return;
  expect(made.status, made.text).toBe(409);
  const changed = await api(s.url, "PUT", `/api/v1/agent/secrets/${name}?scope=team`, {
    key: s.key,
    body: { value },
  });
  expect(changed.status, changed.text).toBe(200);
}

/** A model server for `cli`, named by the team's base URL secret, with `key` as its API key. */
async function serve(cli: Cli, script: Script, key: string) {
  const model = await startModelServer(script);
  servers.push(model);
  const setup = SETUPS[cli];
  await secret(setup.key[0], key, setup.key[1]);
  await secret(...setup.base(model.url));
  return model;
}

/** The processes working in the runner's workdir (the CLIs and whatever they started). */
function processesInWorkdir(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === workdir || cwd.startsWith(`${workdir}/`)) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Each scripted turn's usage, distinct per turn so a dropped or doubled turn shows. */
const USAGE = [
  { input: 1201, output: 31 },
  { input: 1302, output: 42 },
  { input: 1403, output: 53 },
  { input: 1504, output: 64 },
];

/** The run once it has ended SUCCEEDED (else the failure, with its last events), and its events. */
async function untilSucceeded(runId: string) {
  const run = await untilEnded(s, runId, 90_000);
  const events = await eventsOf(s, runId);
  expect(
    run.state,
    `${JSON.stringify(run.status_message)}\n${JSON.stringify(events).slice(-3000)}`,
  ).toBe("SUCCEEDED");
  return { run, events };
}

const post = (route: string, body?: Json) => api(s.url, "POST", route, { key: s.key, body });
const bodyOf = (model: ModelServer, i: number) => JSON.stringify(model.requests[i]?.body ?? null);

it.skipIf(missing.length > 0)(
  "the runner's hello names the CLIs it found, their versions in the tested range; GET /hosts shows them",
  async () => {
    const res = await api(s.url, "GET", "/api/v1/hosts", { key: s.key });
    expect(res.status, res.text).toBe(200);
    const mine = (res.json.hosts as Json[]).find((h) => h.worker_id === WORKER);
    expect(mine?.clis, JSON.stringify(res.json)).toEqual(
      CLIS.map((name) => ({
        name,
        version: TESTED_CLIS[name],
        tested: TESTED_CLIS[name],
        in_tested_range: true,
      })),
    );
  },
);

describe.each(CLIS)("the real %s CLI through the runner (wrangler dev)", (cli) => {
  const skip = missing.includes(cli);
  const setup = SETUPS[cli];
  const config = { harness: { type: cli, model_id: setup.model } };

  it.skipIf(skip)(
    "a tool call changes a file; a follow-up resumes the same conversation",
    async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const write = `echo vendor-edit-${cli} > notes.txt`;
      const model = await serve(
        cli,
        [
          { toolCalls: [setup.shell(write)], usage: USAGE[0] },
          { text: "Wrote notes.txt.", hold: held, usage: USAGE[1] },
          { toolCalls: [setup.shell("cat notes.txt")], usage: USAGE[2] },
          { text: `notes.txt says vendor-edit-${cli}.`, usage: USAGE[3] },
        ],
        GOOD_KEY,
      );
      const runId = await createRun(s, "Write the notes file", WORKER, config);
      // the follow-up arrives while the CLI is still answering: the harness resumes its session
      const asked = await waitFor(() => model.requests.length >= 2, 60_000);
      expect(asked, `model calls: ${model.requests.length}\n${host.output().slice(-3000)}`).toBe(
        true,
      );
      const res = await post(`/api/v1/agent/runs/${runId}/followups`, {
        message: "What does notes.txt say now?",
      });
      expect(res.status, res.text).toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 2_000));
      release();
      const { run, events } = await untilSucceeded(runId);
      expect(run.status_message.message).toBe(`notes.txt says vendor-edit-${cli}.`);

      // the file was changed by the first call and read back by the follow-up's
      const results = payloadsOf(events, "agent.tool_result");
      expect(results.length, JSON.stringify(results)).toBeGreaterThanOrEqual(2);
      expect(
        results.every((r) => r.state === "completed"),
        JSON.stringify(results),
      ).toBe(true);
      expect(JSON.stringify(results.at(-1))).toContain(`vendor-edit-${cli}`);
      expect(payloadsOf(events, "agent.tool_call").length).toBeGreaterThanOrEqual(2);
      // resumed, not started over: the follow-up's model call carries the first turn's tool call
      expect(model.requests).toHaveLength(4);
      expect(bodyOf(model, 2)).toContain(write);
      expect(bodyOf(model, 2)).toContain("What does notes.txt say now?");
      // the usage the run records is what the model server's answers said, no more, no less:
      // the model gateway counts every call, the CLI's own side calls (a title, a quota check,
      // answered 5 in / 2 out) too, and the CLI's self-reported usage is not counted again
      const usage = payloadsOf(events, "usage");
      expect(
        usage.every((u) => u.source === "gateway"),
        JSON.stringify(usage),
      ).toBe(true);
      const side = model.sideRequests.filter(
        (r) =>
          r.method === "POST" &&
          /(\/messages|\/chat\/completions|\/responses|:(stream)?generateContent)$/i.test(r.path),
      ).length;
      const sum = (k: string) => usage.reduce((n, u) => n + (u[k] ?? 0), 0);
      expect(
        { input: sum("input_tokens"), output: sum("output_tokens") },
        JSON.stringify(usage),
      ).toEqual({
        input: USAGE.reduce((n, u) => n + u.input, 0) + 5 * side,
        output: USAGE.reduce((n, u) => n + u.output, 0) + 2 * side,
      });
      // and the run's request_usage agrees with the events
      expect(run.request_usage.total_tokens).toBe(sum("input_tokens") + sum("output_tokens"));
      expect(payloadsOf(events, "error"), "no vendor warning reads as an error").toEqual([]);
      expect(JSON.stringify(events)).not.toContain(GOOD_KEY);
    },
    150_000,
  );

  it.skipIf(skip)(
    "a follow-up on the ended run resumes the CLI's session from the checkpoint (another host's view)",
    async () => {
      const write = `echo session-edit-${cli} > notes.txt`;
      const model = await serve(
        cli,
        [
          { toolCalls: [setup.shell(write)] },
          { text: "Wrote notes.txt." },
          { toolCalls: [setup.shell("cat notes.txt")] },
          { text: `notes.txt still says session-edit-${cli}.` },
        ],
        GOOD_KEY,
      );
      const runId = await createRun(s, "Write the notes file", WORKER, config);
      const first = await untilSucceeded(runId);
      const cp = first.events.filter((e) => e.type === "checkpoint").at(-1);
      expect(cp?.payload, JSON.stringify(first.events.map((e) => e.type))).toMatchObject({
        has_conversation: true,
      });
      // the CLI's own sessions are gone, as on another host: only the checkpoint has them
      // (Gemini CLI's are in the run's private home, gone with the execution; OpenCode's in its
      // database)
      const states = [".claude/projects", ".codex/sessions", ".gemini", ".local/share/opencode"];
      for (const state of states) rmSync(path.join(home, state), { recursive: true, force: true });
      const res = await post(`/api/v1/agent/runs/${runId}/followups`, {
        message: "Is notes.txt still there?",
      });
      expect(res.status, res.text).toBeLessThan(300);
      const { run, events } = await untilSucceeded(runId);
      expect(run.status_message.message).toBe(`notes.txt still says session-edit-${cli}.`);
      const second = events.filter((e) => e.execution_id === 2);
      expect(JSON.stringify(payloadsOf(second, "agent.tool_result"))).toContain(
        `session-edit-${cli}`,
      );
      // the resumed CLI sent the first execution's turn with the follow-up, once: the session
      // went on (the prompt was not sent again as a new conversation)
      expect(model.requests).toHaveLength(4);
      const resumed = bodyOf(model, 2);
      expect(resumed).toContain(write);
      expect(resumed).toContain("Wrote notes.txt.");
      expect(resumed).toContain("Is notes.txt still there?");
      expect(resumed.split("Write the notes file").length - 1).toBe(1);
      expect(JSON.stringify(events)).not.toContain(GOOD_KEY);
    },
    180_000,
  );

  it.skipIf(skip)(
    "a refused key ends FAILED model_auth_failed with a clear message in under 30 s",
    async () => {
      const model = await serve(cli, () => ({ status: 401, body: setup.refused }), BAD_KEY);
      const started = Date.now();
      const runId = await createRun(s, "Write the notes file", WORKER, config);
      const run = await untilEnded(s, runId, 60_000);
      const took = Date.now() - started;
      const events = await eventsOf(s, runId);
      expect(run.state, JSON.stringify(run.status_message)).toBe("FAILED");
      expect(run.status_message.error_code, JSON.stringify(run.status_message)).toBe(
        "model_auth_failed",
      );
      expect(run.status_message.message).toContain("HTTP 401, the key was refused");
      expect(run.status_message.message).toContain(`Fix the team secret ${setup.key[0]}`);
      expect(run.status_message.message).not.toContain("\u001b[");
      expect(took, run.status_message.message).toBeLessThan(30_000);
      expect(model.requests.length).toBeGreaterThan(0);
      expect(JSON.stringify(events)).not.toContain(BAD_KEY);
    },
    90_000,
  );

  it.skipIf(skip)(
    "a cancel mid-turn ends the run CANCELLED promptly, the CLI gone, nothing reported after",
    async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const model = await serve(
        cli,
        [
          { text: "Thinking about it", hold: held },
          { toolCalls: [setup.shell(`echo too-late-${cli} > late.txt`)] },
          { text: "Done." },
        ],
        GOOD_KEY,
      );
      const runId = await createRun(s, "Write the notes file", WORKER, config);
      const asked = await waitFor(() => model.requests.length >= 1, 60_000);
      expect(asked, host.output().slice(-3000)).toBe(true);
      // mid-turn: the CLI is alive in the workdir, waiting on the held answer
      const running = processesInWorkdir();
      expect(running.length, "the CLI runs in the runner's workdir").toBeGreaterThan(0);
      const cancelled = Date.now();
      const res = await post(`/api/v1/agent/runs/${runId}/cancel`);
      expect(res.status, res.text).toBeLessThan(300);
      const run = await untilEnded(s, runId, 30_000);
      const took = Date.now() - cancelled;
      console.log(`vendor-clis: ${cli} cancelled mid-turn, CANCELLED after ${took} ms`);
      expect(run.state, JSON.stringify(run.status_message)).toBe("CANCELLED");
      expect(took).toBeLessThan(10_000);
      // no orphan: every process of the CLI has left (the group is signalled, then killed)
      const gone = await waitFor(() => running.every((pid) => !alive(pid)), 10_000);
      expect(gone, `still alive: ${running.filter(alive)}`).toBe(true);
      expect(processesInWorkdir()).toEqual([]);
      // the held answer released now finds nobody to act on it: nothing more is reported
      const before = (await eventsOf(s, runId)).length;
      release();
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await eventsOf(s, runId)).length).toBe(before);
      expect(model.requests).toHaveLength(1);
    },
    120_000,
  );

  it.skipIf(skip)(
    "MCP servers of the run reach the CLI (stdio and HTTP, secrets from placeholders); the model calls their tools",
    async () => {
      const mcp = await startMcpHttpServer(ISSUES_TOKEN);
      closers.push(mcp.close);
      await secret("LOOKUP_SECRET", LOOKUP_SECRET);
      await secret("ISSUES_TOKEN", ISSUES_TOKEN);
      const model = await serve(
        cli,
        (_req, i) =>
          i === 0
            ? { toolCalls: [setup.mcpTool("lookup", "lookup", { key: "color" })] }
            : i === 1
              ? { toolCalls: [setup.mcpTool("issues", "issue_title", { number: 7 })] }
              : { text: "The color and the issue are known." },
        GOOD_KEY,
      );
      const runId = await createRun(s, "What is the color, and issue 7's title?", WORKER, {
        ...config,
        mcp_servers: {
          lookup: {
            command: process.execPath,
            args: [path.join(ROOT, "test/fakes/mcp-server.ts")],
            env: { LOOKUP_TOKEN: "${LOOKUP_SECRET}" },
          },
          issues: { url: mcp.url, headers: { authorization: "Bearer ${ISSUES_TOKEN}" } },
        },
      });
      const { run, events } = await untilSucceeded(runId);
      // both servers' tools were offered to the model, under the names the CLI gives them
      const offered = JSON.stringify(model.requests[0].body);
      for (const [server, tool] of [
        ["lookup", "lookup"],
        ["issues", "issue_title"],
      ]) {
        const { name, namespace } = setup.mcpTool(server, tool, {});
        expect(offered.includes(namespace ?? name), `${namespace ?? name} offered`).toBe(true);
      }
      // the stdio server ran with the secret its env names; the HTTP one was sent the header
      // (it answers 401 without it), and each answer went back to the model
      expect(bodyOf(model, 1)).toContain(`color=${LOOKUP_SECRET}`);
      expect(bodyOf(model, 2)).toContain("#7: Crash on start");
      const calls = payloadsOf(events, "agent.tool_call");
      const results = payloadsOf(events, "agent.tool_result");
      for (const tool of ["lookup", "issue_title"]) {
        const call = calls.find((c) => String(c.name).endsWith(tool));
        expect(call, JSON.stringify(calls)).toMatchObject({ category: "integration" });
        const result = results.find((r) => r.call_id === call?.call_id);
        expect(result, JSON.stringify(results)).toMatchObject({ state: "completed" });
      }
      const said = JSON.stringify(results);
      expect(said).toContain("#7: Crash on start");
      expect(said).toContain("color=");
      // the secrets reached the servers, never an event
      const all = JSON.stringify(events);
      expect(all).not.toContain(LOOKUP_SECRET);
      expect(all).not.toContain(ISSUES_TOKEN);
      expect(run.status_message.message).toBe("The color and the issue are known.");
    },
    120_000,
  );
});
