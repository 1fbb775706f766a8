// `ambit-runner host start --backend docker` against a real `wrangler dev` and a real Docker engine:
// the environment's image (built from this machine's own programs, test/node/runner/docker-image.ts,
// so no registry is needed), the `ambit` harness driven by a scripted model server
// (test/fakes/model-server.ts) whose shell tool calls run inside the run's container, and a vendor
// CLI (the real Claude Code of test/vendor-clis, put in an image of its own) running in the
// container. Skipped, with a message saying why, where no Docker engine is reachable (as on CI).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerAvailable } from "../../packages/runner/src/backends/docker.ts";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { type ModelServer, type Script, startModelServer } from "../fakes/model-server.ts";
import { buildTestImage, type TestImage } from "../node/runner/docker-image.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";
import {
  configure,
  createRun,
  eventsOf,
  payloadsOf,
  stdoutOf,
  untilEnded,
  untilHosts,
  untilRun,
} from "./runner-setup.ts";

const engine = await dockerAvailable();
if (!engine.ok) console.warn(`[docker runner e2e tests skipped] ${engine.message}`);

const WORKER = "e2e-docker";
/** the real Claude Code's binary, when test/vendor-clis is installed */
const CLAUDE = path.join(
  ROOT,
  "test/vendor-clis/node_modules/@anthropic-ai/claude-code-linux-x64/claude",
);
const BIN = path.join(ROOT, "packages/runner/src/bin.ts");

/** IDs of the containers (running or not) of a run. */
const containersOf = (runId: string) =>
  execFileSync("docker", ["ps", "-a", "-q", "--filter", `name=ambit-${runId}-`], {
    encoding: "utf8",
  }).trim();

describe.skipIf(!engine.ok)("the runner with --backend docker (wrangler dev, real engine)", () => {
  let s: E2eServer;
  let dir: string;
  let image: TestImage;
  let runner: ChildProcess;
  let output = "";
  let environmentId: string;
  const servers: ModelServer[] = [];
  let cfg: ReturnType<typeof configure>;

  beforeAll(async () => {
    image = buildTestImage();
    s = await startE2eServer({ teamName: "e2e-runner-docker" });
    dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-docker-"));
    cfg = configure(s);
    await cfg.secret("MODEL_KEY", "sk-docker-model-key-71c2", "openai_api_key");
    environmentId = await cfg.environment({
      name: "in-docker",
      docker_image: image.tag,
      env_vars: { GREETING: "hello from the environment" },
    });
    runner = spawn(
      process.execPath,
      [
        BIN,
        "host",
        "start",
        "--url",
        s.url,
        "--worker-id",
        WORKER,
        "--backend",
        "docker",
        "--docker-image",
        image.tag,
        "--workdir",
        path.join(dir, "wd"),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, AMBIT_API_KEY: s.key },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    runner.stdout!.on("data", (d) => (output += d));
    runner.stderr!.on("data", (d) => (output += d));
    await untilHosts(s, WORKER, 1, 30_000).catch((e) => {
      throw new Error(`${e}\nrunner output:\n${output}`);
    });
  }, 180_000);

  afterAll(async () => {
    if (runner && runner.exitCode === null) {
      runner.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      if (runner.exitCode === null) runner.kill("SIGKILL");
    }
    await Promise.all(servers.map((m) => m.close()));
    await s?.stop();
    image?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function scriptedModel(id: string, script: Script) {
    const model = await startModelServer(script);
    servers.push(model);
    await cfg.model(id, model.url, "MODEL_KEY");
    return model;
  }

  it("runs the agent's shell tool in a container of the environment's image; the file it writes is in the workspace and the run SUCCEEDS", async () => {
    // this repository is on the host, not in the container (only the workspace is mounted)
    const command = `echo "$GREETING" > artifacts/proof.txt; test -e ${path.join(ROOT, "package.json")} && echo where=host || echo where=container; cat artifacts/proof.txt`;
    const model = await scriptedModel("m-docker", [
      { toolCalls: [{ name: "run_shell_command", args: { command } }] },
      { text: "Wrote the proof." },
    ]);
    const runId = await createRun(s, "Write the proof", WORKER, {
      model_id: "m-docker",
      environment_id: environmentId,
    });
    const run = await untilEnded(s, runId, 120_000);
    expect(run.state, `${JSON.stringify(run.status_message)}\nrunner output:\n${output}`).toBe(
      "SUCCEEDED",
    );
    expect(run.status_message.message).toBe("Wrote the proof.");

    const events = await eventsOf(s, runId);
    expect(stdoutOf(events)).toBe("where=container\nhello from the environment\n");
    const [result] = payloadsOf(events, "agent.tool_result");
    expect(JSON.stringify(result)).toContain("where=container");
    expect(JSON.stringify(model.requests[1].body.messages)).toContain("hello from the environment");
    // the file the container wrote into the mounted workspace was read by the runner on the host and uploaded
    const proof = run.artifacts.find((a: Json) => a.data.filename === "proof.txt");
    expect(proof, JSON.stringify(run.artifacts)).toBeTruthy();
    const res = await fetch(`${s.url}/api/v1/agent/artifacts/${proof.data.artifact_uid}/download`, {
      headers: { authorization: `Bearer ${s.key}` },
    });
    expect(await res.text()).toBe("hello from the environment\n");
    expect(
      await waitFor(() => containersOf(runId) === "", 10_000),
      "the run's container was removed",
    ).toBe(true);
  }, 180_000);

  it("a run whose environment names no image runs in the runner's --docker-image", async () => {
    const command = `test -e ${path.join(ROOT, "package.json")} && echo where=host || echo where=container`;
    await scriptedModel("m-docker-default", [
      { toolCalls: [{ name: "run_shell_command", args: { command } }] },
      { text: "Checked." },
    ]);
    const runId = await createRun(s, "Where am I?", WORKER, { model_id: "m-docker-default" });
    const run = await untilEnded(s, runId, 120_000);
    expect(run.state, `${JSON.stringify(run.status_message)}\nrunner output:\n${output}`).toBe(
      "SUCCEEDED",
    );
    expect(stdoutOf(await eventsOf(s, runId))).toBe("where=container\n");
  }, 180_000);

  it("cancel mid-tool-call ends the run CANCELLED and removes its container", async () => {
    await scriptedModel("m-docker-cancel", [
      { toolCalls: [{ name: "run_shell_command", args: { command: "echo started; sleep 300" } }] },
      { text: "not reached" },
    ]);
    const runId = await createRun(s, "Wait a long while", WORKER, {
      model_id: "m-docker-cancel",
      environment_id: environmentId,
    });
    expect(
      await waitFor(async () => stdoutOf(await eventsOf(s, runId)).includes("started"), 60_000),
      `the command started\n${output}`,
    ).toBe(true);
    expect(containersOf(runId), "the run has a container").not.toBe("");
    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/cancel`, { key: s.key });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(s, runId, (r) => r.state === "CANCELLED", 30_000);
    expect(run.status_message.message).toMatch(/Cancelled on the host/);
    expect(
      await waitFor(() => containersOf(runId) === "", 10_000),
      "the run's container was removed",
    ).toBe(true);
  }, 180_000);

  it("an environment whose image the engine does not have fails the run with the fix", async () => {
    const missing = `ambit-missing-${Date.now()}:none`;
    const env = await cfg.environment({ name: "missing-image", docker_image: missing });
    await scriptedModel("m-docker-missing", [{ text: "never asked" }]);
    const runId = await createRun(s, "Anything", WORKER, {
      model_id: "m-docker-missing",
      environment_id: env,
    });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state).toBe("FAILED");
    expect(run.status_message.error_code).toBe("environment_setup_failed");
    expect(run.status_message.message).toContain(
      `the image ${missing} is not on this machine and could not be pulled`,
    );
    expect(run.status_message.message).toContain(`docker pull ${missing}`);
  }, 120_000);

  // the real Claude Code (test/vendor-clis) in the run's container: its own binary put in an image
  // with bash, its model API the scripted server on the host, reached at the bridge's address
  it.skipIf(!existsSync(CLAUDE))(
    "a vendor CLI (the real Claude Code) runs in the run's container, its model calls and tool call made there; the run SUCCEEDS",
    async () => {
      const claudeImage = buildTestImage({
        programs: ["bash"],
        files: { "/usr/local/bin/claude": CLAUDE },
      });
      try {
        // the host as the container sees it: the bridge's gateway (not always in its IPAM config)
        const gateway =
          execFileSync(
            "docker",
            ["network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"],
            { encoding: "utf8" },
          ).trim() ||
          networkInterfaces().docker0?.find((a) => a.family === "IPv4")?.address ||
          "172.17.0.1";
        const command = "echo claude-in-docker > notes.txt; cat notes.txt";
        const model = await startModelServer(
          [
            { toolCalls: [{ name: "Bash", args: { command, description: "write it" } }] },
            { text: "Wrote notes.txt in the container." },
          ],
          { host: gateway },
        );
        servers.push(model);
        await cfg.secret("ANTHROPIC_API_KEY", "sk-docker-claude-5b7e", "anthropic_api_key");
        await cfg.secret("ANTHROPIC_BASE_URL", `http://${gateway}:${new URL(model.url).port}`);
        const env = await cfg.environment({ name: "claude-image", docker_image: claudeImage.tag });
        const runId = await createRun(s, "Write the notes file", WORKER, {
          harness: { type: "claude", model_id: "claude-sonnet-4-5" },
          environment_id: env,
        });
        const run = await untilEnded(s, runId, 120_000);
        const events = await eventsOf(s, runId);
        expect(
          run.state,
          `${JSON.stringify(run.status_message)}\n${JSON.stringify(events).slice(-3000)}\n${output.slice(-3000)}`,
        ).toBe("SUCCEEDED");
        expect(run.status_message.message).toBe("Wrote notes.txt in the container.");
        const [call] = payloadsOf(events, "agent.tool_call");
        expect(call).toMatchObject({ name: "Bash", category: "command" });
        const [result] = payloadsOf(events, "agent.tool_result");
        expect(result).toMatchObject({ state: "completed" });
        expect(JSON.stringify(result)).toContain("claude-in-docker");
        // the CLI itself made the model calls, from inside the container
        expect(model.requests).toHaveLength(2);
        expect(JSON.stringify(model.requests[1].body)).toContain("claude-in-docker");
        expect(
          await waitFor(() => containersOf(runId) === "", 10_000),
          "the run's container was removed",
        ).toBe(true);
      } finally {
        claudeImage.remove();
      }
    },
    300_000,
  );
});
