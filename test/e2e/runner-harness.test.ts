// The host runner with its real harnesses against a real `wrangler dev`: configuration made over
// the API (secrets, catalog models, the MCP server registry), runs created with POST /agent/runs
// and assigned by the pool, the `ambit` harness talking to local model servers
// (test/fakes/model-server.ts), MCP servers over stdio (test/fakes/mcp-*.ts), and Claude Code's
// stand-in (test/fakes/bin/claude) for the CLI harness.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Host } from "../../packages/runner/src/host.ts";
import { type ModelServer, type Script, startModelServer } from "../fakes/model-server.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";
import {
  alive,
  type ChildHost,
  childHost,
  configure,
  createRun,
  eventsOf,
  FAKES,
  inProcessHost,
  payloadsOf,
  safeKill,
  stdoutOf,
  TERMINAL,
  untilEnded,
  untilHosts,
  untilRun,
} from "./runner-setup.ts";

const WORKER = "e2e-harness";
const MODEL_KEY = "sk-harness-model-key-5d1c";
const LOOKUP_SECRET = "lookup-secret-value-8b2e4f";

let s: E2eServer;
let dir: string;
let host: Host;
const servers: ModelServer[] = [];
const children: ChildHost[] = [];
const strays: number[] = [];
let cfg: ReturnType<typeof configure>;

beforeAll(async () => {
  s = await startE2eServer({ teamName: "e2e-runner-harness" });
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-harness-"));
  cfg = configure(s);
  await cfg.secret("MODEL_KEY", MODEL_KEY, "openai_api_key");
  await cfg.secret("LOOKUP_SECRET", LOOKUP_SECRET);
  host = await inProcessHost(s, dir, WORKER, { capacity: 3 });
});

afterAll(async () => {
  await host?.stop();
  for (const c of children)
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  for (const pid of strays) safeKill(pid);
  await Promise.all(servers.map((m) => m.close()));
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A model server playing `script`, registered as the catalog model `id` (key: the MODEL_KEY secret). */
async function scriptedModel(id: string, script: Script) {
  const model = await startModelServer(script);
  servers.push(model);
  await cfg.model(id, model.url, "MODEL_KEY");
  return model;
}

const messagesOf = (model: ModelServer, i: number) =>
  JSON.stringify(model.requests[i]?.body.messages ?? null);

const post = (route: string, body?: Json) => api(s.url, "POST", route, { key: s.key, body });

describe("the runner's real harnesses (wrangler dev)", () => {
  it("ambit: a registered MCP stdio server starts with a secret in its env, and the model calls its tool", async () => {
    const model = await scriptedModel("m-mcp", [
      { toolCalls: [{ name: "lookup__lookup", args: { key: "color" } }] },
      { text: "The color is known." },
    ]);
    const uid = await cfg.mcpServer("lookup", {
      command: process.execPath,
      args: [path.join(FAKES, "mcp-server.ts")],
      env: { LOOKUP_TOKEN: "${LOOKUP_SECRET}" },
    });
    const runId = await createRun(s, "What is the color?", WORKER, {
      model_id: "m-mcp",
      mcp_servers: { lookup: { warp_id: uid } },
    });
    const run = await untilEnded(s, runId);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");

    // the model was offered the server's tool and got its result (the secret filled in by the host)
    const tools = (model.requests[0].body.tools as Json[]).map((t) => t.function.name);
    expect(tools).toContain("lookup__lookup");
    expect(messagesOf(model, 1)).toContain(`color=${LOOKUP_SECRET}`);
    const events = await eventsOf(s, runId);
    expect(
      payloadsOf(events, "setup.step")
        .filter((p) => p.phase === "mcp")
        .map((p) => p.status),
    ).toEqual(["started", "succeeded"]);
    const [call] = payloadsOf(events, "agent.tool_call");
    expect(call).toMatchObject({ name: "lookup__lookup" });
    const [result] = payloadsOf(events, "agent.tool_result");
    expect(result).toMatchObject({ call_id: call.call_id, state: "completed" });
    // the value reached the model, never an event
    expect(JSON.stringify(result)).toContain("color=[REDACTED:LOOKUP_SECRET]");
    expect(JSON.stringify(events)).not.toContain(LOOKUP_SECRET);
  });

  it("ambit: an MCP server that fails to start ends the run FAILED with a setup.step (phase mcp) naming it", async () => {
    const model = await scriptedModel("m-mcp-broken", [{ text: "never asked" }]);
    const script = path.join(FAKES, "mcp-broken.ts");
    const runId = await createRun(s, "Use the database", WORKER, {
      model_id: "m-mcp-broken",
      mcp_servers: { db: { command: process.execPath, args: [script] } },
    });
    const run = await untilEnded(s, runId);
    expect(run.state).toBe("FAILED");
    expect(run.status_message.error_code).toBe("environment_setup_failed");
    expect(run.status_message.message).toContain(
      `MCP server "db" (command: ${process.execPath} ${script}) exited with code 3`,
    );
    const failed = payloadsOf(await eventsOf(s, runId), "setup.step").find(
      (p) => p.phase === "mcp" && p.status === "failed",
    );
    expect(failed, "a failed mcp step").toBeTruthy();
    expect(JSON.stringify(failed)).toContain('"db"');
    expect(JSON.stringify(failed)).toContain("could not open database");
    expect(model.requests).toHaveLength(0); // the model is never called
  });

  it("ambit: cancel mid-tool-call kills the command's whole process tree and ends CANCELLED", async () => {
    await scriptedModel("m-cancel", [
      {
        toolCalls: [
          { name: "run_shell_command", args: { command: "sleep 30 & echo child=$!; wait" } },
        ],
      },
      { text: "not reached" },
    ]);
    const runId = await createRun(s, "Wait a while", WORKER, { model_id: "m-cancel" });
    let child = 0;
    expect(
      await waitFor(async () => {
        const m = stdoutOf(await eventsOf(s, runId)).match(/child=(\d+)/);
        return !!m && (child = Number(m[1])) > 0;
      }, 20_000),
      "the sleep started",
    ).toBe(true);
    strays.push(child);
    expect(alive(child)).toBe(true);
    const res = await post(`/api/v1/agent/runs/${runId}/cancel`);
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(s, runId, (r) => r.state === "CANCELLED");
    expect(run.status_message.message).toMatch(/Cancelled on the host/);
    expect(await waitFor(() => !alive(child), 5_000), `sleep ${child} survived the cancel`).toBe(
      true,
    );
  });

  it("ambit: a follow-up sent mid-run reaches the model before its next call", async () => {
    const model = await scriptedModel("m-followup", (_req, i) =>
      i === 0
        ? { toolCalls: [{ name: "run_shell_command", args: { command: "sleep 2; echo slept" } }] }
        : { text: "Using tabs." },
    );
    const runId = await createRun(s, "Format the code", WORKER, { model_id: "m-followup" });
    expect(
      await waitFor(
        async () => (await eventsOf(s, runId)).some((e) => e.type === "agent.tool_call"),
        20_000,
      ),
    ).toBe(true);
    const res = await post(`/api/v1/agent/runs/${runId}/followups`, {
      message: "use tabs, not spaces",
    });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilEnded(s, runId);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    // the second call already carries it, after the tool's result
    const second = model.requests[1].body.messages as Json[];
    expect(JSON.stringify(second)).toContain("slept");
    expect(second.at(-1)).toMatchObject({ role: "user" });
    expect(JSON.stringify(second.at(-1))).toContain("use tabs, not spaces");
  });

  it("ambit: ask_user blocks the run with the question; a follow-up answers it and the run succeeds", async () => {
    const model = await scriptedModel("m-ask", [
      {
        toolCalls: [{ name: "ask_user", args: { question: "Which color should the button be?" } }],
      },
      { text: "Painted it blue." },
    ]);
    const runId = await createRun(s, "Paint the button", WORKER, { model_id: "m-ask" });
    const blocked = await untilRun(
      s,
      runId,
      (r) => r.state === "BLOCKED" || TERMINAL.includes(r.state),
    );
    expect(blocked.state, JSON.stringify(blocked.status_message)).toBe("BLOCKED");
    expect(blocked.status_message.message).toContain("Which color should the button be?");
    expect(model.requests).toHaveLength(1);
    const res = await post(`/api/v1/agent/runs/${runId}/followups`, { message: "blue" });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilEnded(s, runId);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    expect(run.status_message.message).toBe("Painted it blue.");
    const toolMsg = (model.requests[1].body.messages as Json[]).find((m) => m.role === "tool");
    expect(JSON.stringify(toolMsg)).toContain("blue");
    const events = await eventsOf(s, runId);
    expect(payloadsOf(events, "run.state_changed").map((p) => p.to)).toEqual([
      "PENDING",
      "CLAIMED",
      "INPROGRESS",
      "BLOCKED",
      "INPROGRESS",
      "SUCCEEDED",
    ]);
  });

  it("claude: Claude Code (the stand-in on the runner's PATH) runs with the team's ANTHROPIC_API_KEY to SUCCEEDED with its events", async () => {
    // its own runner in a child process, with the stand-ins first on its PATH
    const worker = "e2e-harness-cli";
    const h = childHost(s, worker, mkdtempSync(path.join(dir, "wd-cli-")), {
      harness: "builtin",
      env: { PATH: `${path.join(FAKES, "bin")}:${process.env.PATH}` },
    });
    children.push(h);
    await untilHosts(s, worker, 1, 30_000);
    await cfg.secret("ANTHROPIC_API_KEY", "sk-ant-e2e-7c4d9a", "anthropic_api_key");
    const runId = await createRun(s, "fix the bug", worker, { harness: { type: "claude" } });
    const run = await untilEnded(s, runId);
    expect(run.state, `${JSON.stringify(run.status_message)}\n${h.output()}`).toBe("SUCCEEDED");
    expect(run.status_message.message).toBe("done: fix the bug");
    const events = await eventsOf(s, runId);
    expect(payloadsOf(events, "agent.message").map((p) => p.text)).toEqual([
      "I'll look at the workspace.",
      "done: fix the bug",
    ]);
    const [call] = payloadsOf(events, "agent.tool_call");
    expect(call).toMatchObject({ name: "Bash", category: "command" });
    expect(payloadsOf(events, "agent.tool_result")[0]).toMatchObject({
      call_id: call.call_id,
      state: "completed",
    });
    // the team's model gateway counts model calls (the stand-in makes none): what the CLI says it
    // used is not counted again (docs/gateway.md)
    expect(payloadsOf(events, "usage")).toEqual([]);
    expect(JSON.stringify(events)).not.toContain("sk-ant-e2e-7c4d9a");
    h.child.kill("SIGKILL");
    await h.exited;
  });

  it("ambit: a runner killed mid-run leaves no run stuck; a follow-up runs it again on the restarted runner", async () => {
    const worker = "e2e-harness-kill";
    const workdir = mkdtempSync(path.join(dir, "wd-kill-"));
    // the first call is held open (the model is "thinking" when the runner dies); later calls answer
    const model = await scriptedModel("m-kill", (_req, i) =>
      i === 0
        ? { text: "never finished", hold: new Promise(() => {}) }
        : { text: "Done after the restart." },
    );
    const first = childHost(s, worker, workdir, { harness: "builtin" });
    children.push(first);
    await untilHosts(s, worker, 1, 30_000);
    const runId = await createRun(s, "Do the long thing", worker, { model_id: "m-kill" });
    expect(await waitFor(() => model.requests.length === 1, 20_000), first.output()).toBe(true);
    first.child.kill("SIGKILL");
    await first.exited;
    const second = childHost(s, worker, workdir, { harness: "builtin" });
    children.push(second);
    await waitFor(() => second.output().includes('"ready"'), 30_000);
    const lost = await untilRun(s, runId, (r) => r.state === "ERROR", 60_000);
    expect(lost.status_message).toMatchObject({
      error_code: "resource_unavailable",
      retryable: true,
    });
    const res = await post(`/api/v1/agent/runs/${runId}/followups`, { message: "try again" });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(
      s,
      runId,
      (r) => r.state === "SUCCEEDED" || r.state === "FAILED",
      30_000,
    );
    expect(run.state, `${JSON.stringify(run.status_message)}\n${second.output()}`).toBe(
      "SUCCEEDED",
    );
    expect(run.status_message.message).toBe("Done after the restart.");
    // execution 2 started over with the prompt and the follow-up
    expect(
      model.requests.map((r) => JSON.stringify(r.body.messages)),
      "model calls",
    ).toHaveLength(2);
    expect(messagesOf(model, 1)).toContain("Do the long thing");
    expect(messagesOf(model, 1)).toContain("try again");
    second.child.kill("SIGKILL");
    await second.exited;
  }, 150_000);
});
