// One run the way a team uses Ambit, with nothing stood in for but the model: configuration made
// over the API (a catalog model, a secret, an environment with a repository and a setup command),
// a host started with the built CLI (`ambit host start`), the real `ambit` harness talking to a
// local model server (test/fakes/model-server.ts) that asks for a shell command, and the run read
// back: events (secret redacted), setup milestones, a diff artifact, SUCCEEDED.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { type ModelServer, startModelServer } from "../fakes/model-server.ts";
import { type CliProcess, startCli } from "./cli-run.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";

const CANARY = "canary-deploy-token-7f3a9c1e5b";
const WORKER = "e2e-full";

let s: E2eServer;
let bin: string;
let dir: string;
let origin: string;
let model: ModelServer;
let host: CliProcess | undefined;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "e2e-full-run" })]);
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-full-"));
  origin = path.join(dir, "repo"); // cloned into the workspace as repo/
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: origin,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    });
  execFileSync("mkdir", ["-p", origin]);
  git("init", "--quiet", "-b", "main");
  writeFileSync(path.join(origin, "README.md"), "hello\n");
  git("add", "-A");
  git("commit", "--quiet", "-m", "init");
  // turn 1: a shell command that prints the secret and edits the repository; turn 2: the answer
  model = await startModelServer([
    {
      toolCalls: [
        {
          name: "run_shell_command",
          args: {
            command:
              'echo "token is $DEPLOY_TOKEN"; echo fixed >> repo/README.md; cat repo/README.md',
          },
        },
      ],
      usage: { input: 120, output: 30 },
    },
    { text: "Fixed the README.", usage: { input: 200, output: 8 } },
  ]);
});

afterAll(async () => {
  if (host && host.child.exitCode === null) host.child.kill("SIGKILL");
  await model?.close();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = async (route: string, body: Json, status = 201) => {
  const res = await api(s.url, "POST", route, { key: s.key, body });
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  return res.json;
};

describe("a run end to end: API configuration, `ambit host start`, the ambit harness", () => {
  it("prepares the environment, runs the model's tool call with the secret redacted, reports a diff and succeeds", async () => {
    await post("/api/v1/agent/secrets", {
      name: "MODEL_KEY",
      value: "sk-fake-model-key",
      type: "openai_api_key",
    });
    await post("/api/v1/agent/secrets", { name: "DEPLOY_TOKEN", value: CANARY });
    await post("/api/v1/agent/models", {
      id: "fake-gpt",
      provider: "openai",
      model: "gpt-fake",
      base_url: `${model.url}/v1`,
      api_key_secret: "MODEL_KEY",
    });
    const env = await post("/api/v1/agent/environments", {
      name: "widgets",
      repositories: [{ url: origin }],
      setup_commands: ["echo preparing; test -f repo/README.md"],
    });
    const envId = env.uid ?? env.id ?? env.environment?.uid;
    expect(envId, JSON.stringify(env)).toBeTruthy();

    // the environment's repository is on this disk: --allow-local-repos
    host = startCli(
      bin,
      [
        "host",
        "start",
        "--worker-id",
        WORKER,
        "--workdir",
        path.join(dir, "work"),
        "--allow-local-repos",
      ],
      {
        env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key },
      },
    );
    const connected = await waitFor(async () => {
      const res = await api(s.url, "GET", "/api/v1/hosts", { key: s.key });
      return (res.json.hosts ?? []).some((h: Json) => h.worker_id === WORKER);
    }, 30_000);
    expect(connected, host.stderr).toBe(true);

    const created = await post(
      "/api/v1/agent/runs",
      {
        prompt: "Fix the README",
        config: { environment_id: envId, model_id: "fake-gpt", worker_host: WORKER },
      },
      200,
    );
    const runId = created.run_id as string;
    let run: Json = {};
    await waitFor(
      async () => {
        run = (await api(s.url, "GET", `/api/v1/agent/runs/${runId}`, { key: s.key })).json;
        return ["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"].includes(run.state);
      },
      60_000,
      250,
    );
    expect(run.state, `${JSON.stringify(run.status_message)}\nhost stderr: ${host.stderr}`).toBe(
      "SUCCEEDED",
    );

    const { events } = (
      await api(s.url, "GET", `/api/v1/agent/runs/${runId}/events?limit=1000`, { key: s.key })
    ).json as { events: Json[] };
    const all = JSON.stringify(events);
    expect(all).not.toContain(CANARY); // the secret reached the command but never left the host
    expect(all).not.toContain("sk-fake-model-key");
    const out = events
      .filter((e) => e.type === "command.output")
      .map((e) => e.payload.chunk)
      .join("");
    expect(out).toContain("token is [REDACTED:DEPLOY_TOKEN]");
    expect(out).toContain("preparing");
    const steps = events
      .filter((e) => e.type === "setup.step")
      .map((e) => `${e.payload.phase}:${e.payload.status}`);
    expect(steps).toEqual(expect.arrayContaining(["clone:succeeded", "setup_command:succeeded"]));
    const calls = events.filter((e) => e.type === "agent.tool_call");
    expect(calls.map((e) => e.payload.name)).toEqual(["run_shell_command"]);
    expect(events.filter((e) => e.type === "usage").map((e) => e.payload.input_tokens)).toEqual([
      120, 200,
    ]);
    expect(
      events.some((e) => e.type === "agent.message" && e.payload.text === "Fixed the README."),
    ).toBe(true);
    // the model got the tool's output back
    expect(JSON.stringify(model.requests[1].body.messages)).toContain("fixed");
    expect(model.requests[0].headers.authorization).toBe("Bearer sk-fake-model-key");
    expect(run.artifacts.map((a: Json) => `${a.artifact_type}:${a.data.filename}`)).toContain(
      "FILE:repo.diff",
    );

    // Ctrl-C drains the host and it exits 0
    host.child.kill("SIGINT");
    expect((await host.done).code).toBe(0);
  });
});
