// `ambit agent run --local` with the BUILT CLI against a real `wrangler dev` and the scripted model
// server: the agent runs in a temporary directory on this machine while the platform tracks the
// run — a second client watches every event and steers it, Ctrl-C cancels mid-tool-call, and a
// server restart mid-run loses no event.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ambit, type RunEvent } from "@ambit/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import {
  type ModelServer,
  type RecordedRequest,
  type ScriptedTurn,
  startModelServer,
} from "../fakes/model-server.ts";
import { type CliProcess, startCli, tearDown } from "./cli-run.ts";
import { FaultProxy } from "./fault-proxy.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";
import { configure, useModelServer } from "./runner-setup.ts";

const CANARY = "canary-local-token-51c0ffee";

let s: E2eServer;
let bin: string;
let model: ModelServer;
let client: Ambit;
const dirs: string[] = [];
const clis: CliProcess[] = [];
/** Turns of the model per run, chosen by the marker word of the run's prompt. */
const scripts = new Map<
  string,
  (req: RecordedRequest, turn: number) => ScriptedTurn | Promise<ScriptedTurn>
>();
const turns = new Map<string, number>();

const markerOf = (req: RecordedRequest) =>
  /\b(LOCAL-[A-Z]+)\b/.exec(JSON.stringify(req.body.messages ?? []))?.[1] ?? "";
const requestsOf = (marker: string) => model.requests.filter((r) => markerOf(r) === marker);

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "e2e-cli-local" })]);
  client = new Ambit({ apiKey: s.key, baseURL: s.url });
  model = await startModelServer((req) => {
    const marker = markerOf(req);
    const n = turns.get(marker) ?? 0;
    turns.set(marker, n + 1);
    const script = scripts.get(marker);
    return script ? script(req, n) : { text: `no script for '${marker}'` };
  });
  await useModelServer(s, "fake-gpt", model.url);
  await configure(s).secret("DEPLOY_TOKEN", CANARY);
}, 120_000);

afterAll(() =>
  tearDown({ clis, servers: [model && (() => model.close()), s && (() => s.stop())], dirs }),
);

function workdir() {
  const d = mkdtempSync(path.join(tmpdir(), "ambit-local-"));
  dirs.push(d);
  return d;
}

function runLocal(
  prompt: string,
  dir: string,
  server = { url: s.url, key: s.key },
  model = "fake-gpt",
) {
  // the agent gets none of the caller's shell but what --env names
  const cli = startCli(
    bin,
    [
      "agent",
      "run",
      "--local",
      "-p",
      prompt,
      "-C",
      dir,
      "--model",
      model,
      "--env",
      "LOCAL_ONLY_VAR",
    ],
    {
      env: {
        AMBIT_BASE_URL: server.url,
        AMBIT_API_KEY: server.key,
        LOCAL_ONLY_VAR: "from-the-user-env",
      },
    },
  );
  clis.push(cli);
  return cli;
}

async function runIdOf(cli: CliProcess) {
  expect(await waitFor(() => /Running (\S+) here/.test(cli.stderr), 30_000), cli.stderr).toBe(true);
  return /Running (\S+) here/.exec(cli.stderr)![1];
}

const transcript = async (runId: string): Promise<RunEvent[]> =>
  (await client.agent.runs.transcript(runId))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

const outputOf = (events: RunEvent[]) =>
  events
    .filter((e) => e.type === "command.output")
    .map((e) => String((e.payload as Json).chunk))
    .join("");

describe("ambit agent run --local", () => {
  it("edits files in its directory and succeeds; a second client sees every event and its follow-up reaches the agent", async () => {
    const dir = workdir();
    writeFileSync(path.join(dir, "notes.txt"), "start\n");
    let releaseTurn2!: () => void;
    const held = new Promise<void>((r) => (releaseTurn2 = r));
    scripts.set("LOCAL-EDIT", (_req, n) =>
      n === 0
        ? {
            toolCalls: [
              {
                name: "run_shell_command",
                args: {
                  command:
                    'echo "token is $DEPLOY_TOKEN and $LOCAL_ONLY_VAR"; echo edited >> notes.txt; cat notes.txt',
                },
              },
            ],
          }
        : n === 1
          ? { text: "Edited notes.txt.", hold: held }
          : { text: "Also handled the follow-up." },
    );
    const cli = runLocal("LOCAL-EDIT: add a line to notes.txt", dir);
    const runId = await runIdOf(cli);

    // the second client: the SDK's live stream from the start, then a follow-up while the agent works
    const seen: RunEvent[] = [];
    const watching = (async () => {
      for await (const e of client.agent.runs.stream(runId, { after: 0 })) seen.push(e);
    })();
    expect(await waitFor(() => requestsOf("LOCAL-EDIT").length >= 2, 30_000), cli.stderr).toBe(
      true,
    );
    await client.agent.runs.followup(runId, { message: "Please also mention LOCAL-EDIT-FOLLOWUP" });
    await waitFor(() => seen.some((e) => e.type === "followup.received"), 10_000);
    await new Promise((r) => setTimeout(r, 1_000)); // the follow-up reaches the local agent over its session
    releaseTurn2();

    const result = await cli.done;
    await watching;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/SUCCEEDED/);
    expect(result.stdout).toMatch(/run_shell_command|echo/); // the live view showed the tool call
    expect(readFileSync(path.join(dir, "notes.txt"), "utf8")).toBe("start\nedited\n");
    expect(existsSync(dir)).toBe(true);

    // the follow-up was in the agent's next model request
    const third = requestsOf("LOCAL-EDIT")[2];
    expect(third, "a third model call after the follow-up").toBeTruthy();
    expect(JSON.stringify(third.body.messages)).toContain(
      "Please also mention LOCAL-EDIT-FOLLOWUP",
    );

    const run = await client.agent.runs.retrieve(runId);
    expect(run).toMatchObject({ state: "SUCCEEDED", execution_location: "LOCAL", source: "CLI" });
    const listed = await api(s.url, "GET", "/api/v1/agent/runs?execution_location=LOCAL", {
      key: s.key,
    });
    expect(listed.json.runs.map((r: Json) => r.run_id)).toContain(runId);

    const all = await transcript(runId);
    expect(seen.map((e) => e.seq)).toEqual(all.map((e) => e.seq)); // every event, in order
    expect(JSON.stringify(all)).not.toContain(CANARY);
    expect(outputOf(all)).toContain("token is [REDACTED:DEPLOY_TOKEN] and from-the-user-env");
    expect(all.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        "agent.tool_call",
        "agent.tool_result",
        "agent.message",
        "followup.received",
      ]),
    );
  }, 120_000);

  it("Ctrl-C mid-tool-call kills the command's process tree and ends the run CANCELLED", async () => {
    const dir = workdir();
    scripts.set("LOCAL-SLEEP", (_req, n) =>
      n === 0
        ? {
            toolCalls: [
              {
                name: "run_shell_command",
                args: { command: "sleep 30 & echo $! > sleep.pid; wait" },
              },
            ],
          }
        : { text: "should not get here" },
    );
    const cli = runLocal("LOCAL-SLEEP: wait a while", dir);
    const runId = await runIdOf(cli);
    const pidFile = path.join(dir, "sleep.pid");
    expect(
      await waitFor(
        () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "",
        30_000,
      ),
      cli.stderr,
    ).toBe(true);
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    expect(alive(pid)).toBe(true);

    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(12);
    expect(result.stderr).toMatch(/Cancelling the run/);
    expect(await waitFor(() => !alive(pid), 5_000)).toBe(true);
    const run = await client.agent.runs.retrieve(runId);
    expect(run.state).toBe("CANCELLED");
    expect(run.status_message?.message).toMatch(/Ctrl-C/);
    expect(requestsOf("LOCAL-SLEEP")).toHaveLength(1);
  }, 90_000);

  it("a server restart mid-run loses no event: the CLI buffers, reconnects and resends", async () => {
    const dir = workdir();
    const LINES = 50;
    scripts.set("LOCAL-RESTART", (_req, n) =>
      n === 0
        ? {
            toolCalls: [
              {
                name: "run_shell_command",
                args: { command: `for i in $(seq 1 ${LINES}); do echo line-$i; sleep 0.4; done` },
              },
            ],
          }
        : { text: "Counted through the restart." },
    );
    const cli = runLocal("LOCAL-RESTART: count slowly", dir);
    const runId = await runIdOf(cli);
    expect(
      await waitFor(async () => outputOf(await transcript(runId)).includes("line-3\n"), 30_000),
    ).toBe(true);
    await s.restart();
    // the restart happened mid-run: the command was still counting
    expect(outputOf(await transcript(runId))).not.toContain(`line-${LINES}\n`);

    const result = await cli.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toMatch(/connection lost|unreachable|reconnect/i); // the CLI saw the outage
    const all = await transcript(runId);
    const lines = outputOf(all)
      .split("\n")
      .filter((l) => l.startsWith("line-"));
    expect(lines).toEqual(Array.from({ length: LINES }, (_, i) => `line-${i + 1}`)); // each once, in order
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect((await client.agent.runs.retrieve(runId)).state).toBe("SUCCEEDED");
  }, 180_000);
});

describe("ambit agent run --local when the network never comes back", () => {
  it("the platform ends the run ERROR once the lease lapses; the CLI stops the agent and says why", async () => {
    const short = await startE2eServer({
      teamName: "e2e-local-lease",
      vars: { LOCAL_RUN_LEASE_MS: "3000" },
    });
    const proxy = await FaultProxy.start(short.server.port);
    try {
      await useModelServer(short, "fake-gpt-2", model.url);
      scripts.set("LOCAL-LOST", (_req, n) =>
        n === 0
          ? {
              toolCalls: [
                {
                  name: "run_shell_command",
                  args: { command: "sleep 60 & echo $! > sleep.pid; wait" },
                },
              ],
            }
          : { text: "should not get here" },
      );
      const dir = workdir();
      const cli = runLocal(
        "LOCAL-LOST: wait for the network",
        dir,
        { url: proxy.url, key: short.key },
        "fake-gpt-2",
      );
      const runId = await runIdOf(cli);
      const pidFile = path.join(dir, "sleep.pid");
      expect(
        await waitFor(
          () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "",
          30_000,
        ),
        cli.stderr,
      ).toBe(true);
      const pid = Number(readFileSync(pidFile, "utf8").trim());

      proxy.blockAll();
      const result = await cli.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(11);
      expect(result.stderr).toMatch(
        /was unreachable for longer than the run's lease, so it ended the run ERROR/,
      );
      expect(await waitFor(() => !alive(pid), 5_000)).toBe(true);
      const run = (await api(short.url, "GET", `/api/v1/agent/runs/${runId}`, { key: short.key }))
        .json;
      expect(run.state).toBe("ERROR");
      expect(run.status_message.message).toMatch(/stopped reporting for 3 s/);
    } finally {
      await proxy.stop();
      await short.stop();
    }
  }, 120_000);
});

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
