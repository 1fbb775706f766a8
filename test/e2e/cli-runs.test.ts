// The built `ambit` binary running agent runs against a real `wrangler dev`, with a scripted host
// (scripted-host.ts) claiming them and writing their events on the session socket: `agent run
// --follow` streams a whole run and exits with its outcome, `run follow` sends typed follow-ups,
// and the run commands' text and --json output.
import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ambit } from "@ambit/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { runCli, startCli, startInTerminal } from "./cli-run.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";
import { ScriptedHost } from "./scripted-host.ts";

const POOL = "cli-runs";
let s: E2eServer;
let bin: string;
let host: ScriptedHost;
let sdk: Ambit;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "cli-runs" })]);
  host = await ScriptedHost.connect(s.url, s.key, POOL, 8);
  sdk = new Ambit({ apiKey: s.key, baseURL: s.url });
});
afterAll(async () => {
  host?.close();
  await s?.stop();
});

const env = () => ({ AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key });
const ambit = (args: string[], input?: string) => runCli(bin, args, { env: env(), input });
const parsed = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
};

const work = [
  { type: "agent.message", payload: { text: "Looking at the flaky test" } },
  {
    type: "agent.tool_call",
    payload: {
      call_id: "c1",
      name: "shell",
      category: "command",
      input: { command: "npm test -- util" },
    },
  },
  {
    type: "command.output",
    payload: { call_id: "c1", stream: "stdout", chunk: "3 passing\n1 failing\n" },
  },
  {
    type: "agent.tool_result",
    payload: { call_id: "c1", name: "shell", state: "completed", output: { exit_code: 1 } },
  },
];

/** The scripted host takes the run the CLI started (found by its prompt) and does some work. */
async function hostWorks(prompt: string) {
  const runId = await host.assignedRun(prompt);
  await host.take(runId);
  await host.append(runId, work);
  return runId;
}

describe("ambit agent run --follow", () => {
  it("streams a whole run — state, elapsed time, messages, tool calls, command output — and exits 0 when it succeeds", async () => {
    const prompt = `Fix the flaky test ${randomUUID()}`;
    const cli = startCli(
      bin,
      ["agent", "run", "-p", prompt, "--host", POOL, "--title", "Flaky", "--follow"],
      { env: env() },
    );
    const runId = await hostWorks(prompt);
    await cli.output(/1 failing/);
    host.complete(runId, "Fixed: the test no longer races");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`Flaky (run ${runId})`);
    const expected = [
      /^\[\d\d:\d\d\] run created \(QUEUED\)$/,
      /^\[\d\d:\d\d\] QUEUED → PENDING — Offered to host cli-runs/,
      /^\[\d\d:\d\d\] CLAIMED → INPROGRESS$/,
      /^\[\d\d:\d\d\] agent: Looking at the flaky test$/,
      /^\[\d\d:\d\d\] \$ npm test -- util$/,
      /^\[\d\d:\d\d\] {3}│ 3 passing$/,
      /^ {10}│ 1 failing$/,
      /^\[\d\d:\d\d\] ✓ shell completed$/,
      /^\[\d\d:\d\d\] INPROGRESS → SUCCEEDED — Fixed: the test no longer races$/,
      /^SUCCEEDED after .+ — Fixed: the test no longer races$/,
    ];
    let at = 0;
    for (const re of expected) {
      const i = lines.findIndex((l, j) => j >= at && re.test(l));
      expect(i, `${re} after line ${at} in:\n${r.stdout}`).toBeGreaterThanOrEqual(0);
      at = i + 1;
    }
    const run = await sdk.agent.runs.retrieve(runId);
    expect(run).toMatchObject({
      state: "SUCCEEDED",
      title: "Flaky",
      source: "CLI",
      agent_config: { worker_host: POOL },
    });
  });

  it("exits 10 when the run fails, printing why", async () => {
    const prompt = `Deploy to prod ${randomUUID()}`;
    const cli = startCli(bin, ["agent", "run", "-p", prompt, "--host", POOL, "--follow"], {
      env: env(),
    });
    const runId = await hostWorks(prompt);
    await cli.output(/agent: Looking at the flaky test/);
    host.fail(runId, "the tests still fail after 3 attempts", { error_code: "invalid_request" });
    const r = await cli.done;
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/INPROGRESS → FAILED — the tests still fail after 3 attempts/);
    expect(r.stdout).toMatch(/^FAILED after .+ — the tests still fail after 3 attempts$/m);
  });

  it("exits 12 when the run is cancelled while followed", async () => {
    const prompt = `Cancel me ${randomUUID()}`;
    const cli = startCli(bin, ["agent", "run", "-p", prompt, "--host", POOL, "--follow"], {
      env: env(),
    });
    const runId = await hostWorks(prompt);
    await cli.output(/agent: Looking/);
    expect(parsed(await ambit(["run", "cancel", runId, "--json"]))).toEqual({
      run_id: runId,
      cancel_requested: true,
    });
    await host.until(
      "the cancellation",
      (f) => f.type === "task_cancellation" && f.data.task_id === runId,
    );
    host.send("task_completed", {
      task_id: runId,
      task_state: "CANCELLED",
      message: "stopped by the host",
    });
    const r = await cli.done;
    expect(r.code).toBe(12);
    expect(r.stdout).toMatch(/cancel requested/);
    expect(r.stdout).toMatch(/^CANCELLED after /m);
  });

  it("--json --follow prints one parsable event per line, in seq order, ending with the terminal state", async () => {
    const prompt = `JSON follow ${randomUUID()}`;
    const cli = startCli(
      bin,
      ["agent", "run", "-p", prompt, "--host", POOL, "--follow", "--json"],
      { env: env() },
    );
    const runId = await hostWorks(prompt);
    host.complete(runId);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Json);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(work.map((w) => w.type)));
    expect(events.at(-1)).toMatchObject({
      type: "run.state_changed",
      payload: { to: "SUCCEEDED" },
    });
  });

  it("runs on plain Node 20 (no global WebSocket: the stream falls back to SSE)", async () => {
    const node20 = "/usr/bin/node";
    let version = "";
    try {
      version = execFileSync(node20, ["--version"], { encoding: "utf8" }).trim();
    } catch {
      return void console.warn("no system Node at /usr/bin/node: skipping the Node 20 check");
    }
    expect(version).toMatch(/^v(2\d|[3-9]\d)\./);
    const prompt = `On Node 20 ${randomUUID()}`;
    const cli = startCli(bin, ["agent", "run", "-p", prompt, "--host", POOL, "--follow"], {
      env: env(),
      node: node20,
    });
    const runId = await hostWorks(prompt);
    await cli.output(/1 failing/);
    host.complete(runId, "done on Node 20");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^SUCCEEDED after .+ — done on Node 20$/m);
  });
});

describe("in a terminal", () => {
  it("agent run follows by default and keeps a live status line (state, elapsed time)", async () => {
    const prompt = `In a terminal ${randomUUID()}`;
    const line = [
      process.execPath,
      bin,
      "agent",
      "run",
      "-p",
      JSON.stringify(prompt),
      "--host",
      POOL,
    ].join(" ");
    const cli = startInTerminal(line, { env: env() });
    const runId = await hostWorks(prompt);
    await cli.output(/1 failing/);
    await cli.output(/● INPROGRESS \d\d:\d\d · run [0-9a-f-]+ · Ctrl-C to detach/);
    host.complete(runId, "done in a terminal");
    const r = await cli.done;
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/SUCCEEDED after .+ — done in a terminal/);
  });

  it("Ctrl-C while following detaches: exit 130, the run goes on", async () => {
    const { run_id: runId } = await sdk.agent.runs.create({
      prompt: `Detach ${randomUUID()}`,
      config: { worker_host: POOL },
    });
    await host.take(runId);
    await host.append(runId, work);
    const cli = startCli(bin, ["run", "follow", runId, "--no-input"], { env: env() });
    await cli.output(/1 failing/);
    cli.child.kill("SIGINT");
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(
      `detached; the run goes on. Attach again with: ambit run follow ${runId}`,
    );
    expect((await sdk.agent.runs.retrieve(runId)).state).toBe("INPROGRESS");
    host.complete(runId);
  });
});

describe("ambit run follow", () => {
  it("attaches to a running run, sends each line typed on stdin as a follow-up, and exits when the run ends", async () => {
    const prompt = `Steer me ${randomUUID()}`;
    const { run_id: runId } = await sdk.agent.runs.create({
      prompt,
      config: { worker_host: POOL },
    });
    await host.take(runId);
    await host.append(runId, work);
    const cli = startCli(bin, ["run", "follow", runId], { env: env(), keepStdin: true });
    await cli.output(/1 failing/);
    cli.child.stdin!.write("also update the changelog\n");
    await cli.output(/follow-up sent: also update the changelog/);
    await cli.output(/follow-up: also update the changelog/); // the event, back through the stream
    host.complete(runId, "done, changelog too");
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^SUCCEEDED after .+ — done, changelog too$/m);
    const events = (await sdk.agent.runs.events(runId)).events;
    expect(
      events.filter((e) => e.type === "followup.received").map((e) => e.payload.message),
    ).toEqual(["also update the changelog"]);
  });

  it("a viewer's key watches read-only: what it types is not sent", async () => {
    const member = await sdk.team.members.add({
      email: `watcher-${randomUUID()}@example.com`,
      role: "viewer",
    });
    const { key } = await sdk.apiKeys.create({ name: "watcher", user_uid: member.uid });
    const { run_id: runId } = await sdk.agent.runs.create({
      prompt: `Watch me ${randomUUID()}`,
      config: { worker_host: POOL },
    });
    await host.take(runId);
    const cli = startCli(bin, ["run", "follow", runId], {
      env: { ...env(), AMBIT_API_KEY: key },
      input: "let me steer\n",
    });
    await cli.output(/CLAIMED → INPROGRESS/);
    await host.append(runId, work);
    await cli.output(/1 failing/);
    host.complete(runId);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/follow-up/);
    expect((await sdk.agent.runs.events(runId)).events.map((e) => e.type)).not.toContain(
      "followup.received",
    );
  });

  it("replays a finished run and exits with its outcome; --after skips what was seen", async () => {
    const prompt = `Finished ${randomUUID()}`;
    const { run_id: runId } = await sdk.agent.runs.create({
      prompt,
      config: { worker_host: POOL },
    });
    await host.take(runId);
    await host.append(runId, work);
    host.fail(runId, "gave up");
    await expect
      .poll(async () => (await sdk.agent.runs.retrieve(runId)).state, { timeout: 10_000 })
      .toBe("FAILED");
    const r = await ambit(["run", "follow", runId, "--no-input"]);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/agent: Looking at the flaky test/);
    const all = (await ambit(["run", "follow", runId, "--json"])).stdout.trim().split("\n");
    const tail = await ambit(["run", "follow", runId, "--json", "--after", String(all.length - 1)]);
    expect(
      tail.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([all.length]);
  });
});

describe("run list, get, logs, conversation, cancel", () => {
  let runId: string;
  const marker = `listing${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    runId = (
      await sdk.agent.runs.create({
        prompt: `Explain ${marker}`,
        title: `Title ${marker}`,
        config: { worker_host: POOL, name: marker },
      })
    ).run_id;
    await host.take(runId);
    await host.append(runId, work);
    host.complete(runId, "explained");
    expect(
      await waitFor(
        async () => (await sdk.agent.runs.retrieve(runId)).state === "SUCCEEDED",
        10_000,
      ),
    ).toBe(true);
  });

  it("agent run --no-follow --json prints the created run", async () => {
    const created = parsed(
      await ambit([
        "agent",
        "run",
        "-p",
        `Queued ${marker}`,
        "--name",
        marker,
        "--model",
        "m-9",
        "--personal",
        "--no-follow",
        "--json",
        "--mcp",
        '{"docs": {"url": "https://mcp.example.com"}}',
      ]),
    );
    expect(created).toEqual({
      run_id: expect.any(String),
      task_id: created.run_id,
      state: "QUEUED",
    });
    const run = await sdk.agent.runs.retrieve(created.run_id);
    expect(run).toMatchObject({
      scope: { type: "User" },
      agent_config: {
        name: marker,
        model_id: "m-9",
        mcp_servers: { docs: { url: "https://mcp.example.com" } },
      },
    });
    // --mcp from a file in the editors' {"mcpServers": …} form, plus a registered server id
    const file = path.join(mkdtempSync(path.join(tmpdir(), "ambit-mcp-")), "mcp.json");
    writeFileSync(
      file,
      JSON.stringify({ mcpServers: { fs: { command: "npx", args: ["-y", "mcp-fs"] } } }),
    );
    const registered = await api(s.url, "POST", "/api/v1/agent/mcp-servers", {
      key: s.key,
      body: { name: "linear", config: { url: "https://mcp.linear.example/mcp" } },
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const uid = registered.json.uid as string;
    const fromFile = parsed(
      await ambit([
        "agent",
        "run",
        "-p",
        `MCP ${marker}`,
        "--mcp",
        file,
        "--mcp",
        uid,
        "--no-follow",
        "--json",
      ]),
    );
    // the registered server is frozen into the run as it was defined
    expect((await sdk.agent.runs.retrieve(fromFile.run_id)).agent_config?.mcp_servers).toEqual({
      fs: { command: "npx", args: ["-y", "mcp-fs"] },
      [uid]: expect.objectContaining({ url: "https://mcp.linear.example/mcp" }),
    });
    const badMcp = await ambit(["agent", "run", "-p", "x", "--mcp", "{not json", "--no-follow"]);
    expect(badMcp.code).toBe(2);
    expect(badMcp.stderr).toMatch(/--mcp JSON is not valid JSON/);
    const plain = await ambit(["agent", "run", "-p", `Plain ${marker}`, "--name", marker]); // stdout is not a terminal: no follow
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
  });

  it("run list: filters, a readable table, and --json", async () => {
    const json = parsed(
      await ambit(["run", "list", "--name", marker, "--state", "succeeded", "--json"]),
    );
    expect(json.runs.map((r: Json) => r.run_id)).toEqual([runId]);
    expect(json.page_info).toEqual({ has_next_page: false });
    const all = parsed(await ambit(["run", "list", "--name", marker, "--json"]));
    expect(all.runs.length).toBe(3);
    const paged = parsed(
      await ambit([
        "run",
        "list",
        "--name",
        marker,
        "-L",
        "2",
        "--sort-by",
        "created-at",
        "--sort-order",
        "asc",
        "--json",
      ]),
    );
    expect(paged.runs.map((r: Json) => r.run_id)[0]).toBe(runId);
    expect(paged.page_info.has_next_page).toBe(true);
    const rest = parsed(
      await ambit([
        "run",
        "list",
        "--name",
        marker,
        "--sort-by",
        "created-at",
        "--sort-order",
        "asc",
        "--cursor",
        paged.page_info.next_cursor,
        "--json",
      ]),
    );
    expect(rest.runs).toHaveLength(1);
    const filtered = parsed(
      await ambit([
        "run",
        "list",
        "-q",
        marker,
        "--source",
        "cli",
        "--execution-location",
        "remote",
        "--created-after",
        "2020-01-01T00:00:00Z",
        "--json",
      ]),
    );
    expect(filtered.runs).toHaveLength(3); // the three created by the CLI
    const table = await ambit(["run", "list", "--name", marker, "--state", "succeeded"]);
    expect(table.stdout).toMatch(/^RUN ID +STATE +SOURCE +UPDATED +TITLE\n/);
    expect(table.stdout).toMatch(
      new RegExp(`^${runId} +SUCCEEDED +API +\\d+[smhd] ago +Title ${marker}$`, "m"),
    );
    expect((await ambit(["run", "list", "--name", "no-such-name"])).stdout).toBe(
      "No runs match.\n",
    );
  });

  it("run get, logs, conversation", async () => {
    expect(parsed(await ambit(["run", "get", runId, "--json"]))).toMatchObject({
      run_id: runId,
      state: "SUCCEEDED",
      status_message: { message: "explained" },
    });
    const get = await ambit(["run", "get", runId]);
    expect(get.stdout).toMatch(/^State: +SUCCEEDED$/m);
    expect(get.stdout).toMatch(/^Status: +explained$/m);
    expect(get.stdout).toMatch(new RegExp(`^Host: +${POOL}$`, "m"));

    const logs = await ambit(["run", "logs", runId]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/agent: Looking at the flaky test/);
    expect(logs.stdout).toMatch(/\$ npm test -- util/);
    expect(logs.stdout).toMatch(/INPROGRESS → SUCCEEDED — explained/);
    const ndjson = (await ambit(["run", "logs", runId, "--json"])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(ndjson.map((e) => e.seq)).toEqual(ndjson.map((_, i) => i + 1));

    const conversation = await ambit(["run", "conversation", runId]);
    expect(conversation.stdout).toMatch(new RegExp(`^user: Explain ${marker}$`, "m"));
    expect(conversation.stdout).toMatch(/^assistant: Looking at the flaky test$/m);
    expect(conversation.stdout).toMatch(/^assistant: \$ npm test -- util$/m);
    expect(
      parsed(await ambit(["run", "conversation", runId, "--json"])).steps.length,
    ).toBeGreaterThan(0);
  });

  it("run cancel on a queued run, and on a finished one (the API's message)", async () => {
    const { run_id } = await sdk.agent.runs.create({
      prompt: "cancel me",
      config: { worker_host: "nobody-home" },
    });
    const r = await ambit(["run", "cancel", run_id]);
    expect(r.stdout).toBe(`Cancel requested for ${run_id}\n`);
    await expect
      .poll(async () => (await sdk.agent.runs.retrieve(run_id)).state, { timeout: 10_000 })
      .toBe("CANCELLED");
    const again = await ambit(["run", "cancel", runId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/SUCCEEDED.*\(invalid_request\)/);
  });
});

describe("ambit artifact", () => {
  it("lists a run's files and saves one: under its name here, never over a file without --force, or to stdout", async () => {
    const { run_id: runId } = await sdk.agent.runs.create({
      prompt: `Keep a file ${randomUUID()}`,
      config: { worker_host: POOL },
    });
    // uploaded as a runner does (an admin key may too)
    const q = new URLSearchParams({
      filename: "notes.md",
      filepath: "docs/notes.md",
      description: "Created by the run",
    });
    const up = await fetch(`${s.url}/api/v1/agent/runs/${runId}/artifacts/files?${q}`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.key}`, "content-type": "text/markdown" },
      body: "# notes\n",
    });
    expect(up.status).toBe(201);
    const uid = ((await up.json()) as Json).artifact_uid as string;

    const list = await ambit(["artifact", "list", runId]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^UID\\s+TYPE\\s+FILE OR URL\\s+SIZE\\s+DESCRIPTION\\n${uid}\\s+FILE\\s+docs/notes\\.md\\s+8 B\\s+Created by the run\\n$`,
      ),
    );

    const here = mkdtempSync(path.join(tmpdir(), "ambit-artifact-"));
    const saved = await runCli(bin, ["artifact", "download", uid], { env: env(), cwd: here });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toBe("Saved notes.md (8 bytes)\n");
    expect(readFileSync(path.join(here, "notes.md"), "utf8")).toBe("# notes\n");
    writeFileSync(path.join(here, "notes.md"), "mine\n");
    const refused = await runCli(bin, ["artifact", "download", uid], { env: env(), cwd: here });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/notes\.md already exists[\s\S]*--force/);
    expect(readFileSync(path.join(here, "notes.md"), "utf8")).toBe("mine\n");
    expect(
      (await runCli(bin, ["artifact", "download", uid, "--force"], { env: env(), cwd: here })).code,
    ).toBe(0);
    expect(readFileSync(path.join(here, "notes.md"), "utf8")).toBe("# notes\n");
    expect((await ambit(["artifact", "download", uid, "-o", "-"])).stdout).toBe("# notes\n");
    expect(parsed(await ambit(["artifact", "get", uid, "--json"]))).toMatchObject({
      artifact_uid: uid,
      artifact_type: "FILE",
      data: { filename: "notes.md", download_url: expect.stringContaining("/content?token=") },
    });
  });
});
