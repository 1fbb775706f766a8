// The GitHub Action as GitHub runs it: the committed bundle (packages/action/dist/index.js) in a
// child process with a simulated runner's environment (test/fakes/actions-runner.ts), against a
// real `wrangler dev` with a host runner (the shell test harness) and a local GitHub for the pull
// request. It creates a GITHUB_ACTION run naming the workflow run, writes the live link to the job
// summary, follows the run to its end and sets its outputs, and fails the step when it should.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_BUNDLE } from "../../packages/action/scripts/build.ts";
import { GITHUB_CONTEXT, runActionStep, type StepResult } from "../fakes/actions-runner.ts";
import { startFakeGitHub } from "../fakes/github.ts";
import { api, type E2eServer, startE2eServer, waitFor } from "./helpers.ts";
import {
  type ChildHost,
  childHost,
  configure,
  getRun,
  untilEnded,
  untilHosts,
  untilRun,
} from "./runner-setup.ts";

const WORKER = "e2e-action";
const WORKFLOW_RUN_URL = "https://github.com/acme/widgets/actions/runs/987654321";

let s: E2eServer;
let gh: Awaited<ReturnType<typeof startFakeGitHub>>;
let host: ChildHost;
let dir: string;
let envId: string;

beforeAll(async () => {
  [s, gh] = await Promise.all([
    startE2eServer({ teamName: "e2e-github-action" }),
    startFakeGitHub("ghp_fake_token_action"),
  ]);
  gh.createRepo("acme/widgets");
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-action-"));
  const cfg = configure(s);
  await cfg.secret("GITHUB_TOKEN", "ghp_fake_token_action");
  envId = await cfg.environment({ name: "widgets", repositories: [{ url: "acme/widgets" }] });
  host = childHost(s, WORKER, path.join(dir, "work"), {
    env: { AMBIT_GITHUB_URL: gh.url, AMBIT_GITHUB_API_URL: gh.apiUrl },
  });
  await untilHosts(s, WORKER, 1, 30_000);
});

afterAll(async () => {
  if (host && host.child.exitCode === null) host.child.kill("SIGKILL");
  await gh?.stop();
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The step `uses: ambit@v1` with these `with:` inputs (base_url, api_key and host preset). */
const step = (inputs: Record<string, string>) =>
  runActionStep(ACTION_BUNDLE, {
    base_url: s.url,
    api_key: s.key,
    host: WORKER,
    ...inputs,
  });

/** The key shows only in the line that masks it (the runner hides that line and the key after). */
function expectKeyMasked(r: StepResult, key: string) {
  const lines = r.stdout.split("\n");
  expect(lines[0]).toBe(`::add-mask::${key}`);
  expect(lines.slice(1).join("\n")).not.toContain(key);
  expect(r.stderr).not.toContain(key);
}

const failed = (r: StepResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

describe("the GitHub Action against a real platform", () => {
  it("creates a GITHUB_ACTION run naming the workflow run, follows it to SUCCEEDED and sets the outputs, the PR among them", async () => {
    const r = await step({
      prompt: "echo polished >> widgets/README.md\n#say Polished the README.",
      environment: envId,
      title: "Polish the README",
      metadata: '{"ticket": "OPS-42"}',
    });
    expect(r.code, failed(r)).toBe(0);
    const runId = r.outputs.run_id;
    expect(r.outputs).toEqual({
      run_id: expect.any(String),
      session_url: `${s.url}/runs/${runId}`,
      state: "SUCCEEDED",
      pull_request_url: `${gh.url}/acme/widgets/pull/1`,
      summary: "Polished the README.",
      agent_output: "Polished the README.",
    });
    // the live link first, then the outcome
    expect(r.summary).toContain(`[Polish the README](${s.url}/runs/${runId})`);
    expect(r.summary.indexOf(`${s.url}/runs/${runId}`)).toBeLessThan(
      r.summary.indexOf("**SUCCEEDED**"),
    );
    expect(r.summary).toContain(`[pull request](${gh.url}/acme/widgets/pull/1)`);
    // progress in the log
    expect(r.stdout).toMatch(/\] INPROGRESS → SUCCEEDED/);
    expect(r.stdout).toContain("] agent: Polished the README.");
    expect(r.stdout).toContain("] $ echo polished >> widgets/README.md");
    expectKeyMasked(r, s.key);

    const run = await getRun(s, runId);
    expect(run.source).toBe("GITHUB_ACTION");
    expect(run.metadata).toEqual({
      ticket: "OPS-42",
      github_workflow_run_url: WORKFLOW_RUN_URL,
      github_repository: "acme/widgets",
      github_run_id: GITHUB_CONTEXT.GITHUB_RUN_ID,
      github_run_attempt: "1",
      github_sha: GITHUB_CONTEXT.GITHUB_SHA,
      github_ref: "refs/heads/main",
      github_event_name: "push",
      github_workflow: "agent",
      github_actor: "octocat",
    });
    // and the run is found by its workflow run
    const found = await api(
      s.url,
      "GET",
      `/api/v1/agent/runs?source=GITHUB_ACTION&metadata[github_run_id]=${GITHUB_CONTEXT.GITHUB_RUN_ID}`,
      { key: s.key },
    );
    expect(found.json.runs.map((x: { run_id: string }) => x.run_id)).toEqual([runId]);
  });

  it("fails the step with ::error:: when the run ends FAILED, and still sets the outputs", async () => {
    const r = await step({ prompt: "echo trying\nexit 3", environment: envId });
    expect(r.code, failed(r)).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `^::error title=Ambit run FAILED::Run ${r.outputs.run_id} ended FAILED: .*exit 3`,
        "m",
      ),
    );
    expect(r.outputs).toMatchObject({ state: "FAILED", pull_request_url: "" });
    expect(r.summary).toContain("**FAILED**");
  });

  it("wait: false sets run_id and session_url and returns while the run goes on", async () => {
    const r = await step({ prompt: "#wait-followup", wait: "false" });
    expect(r.code, failed(r)).toBe(0);
    const runId = r.outputs.run_id;
    expect(r.outputs).toEqual({
      run_id: runId,
      session_url: `${s.url}/runs/${runId}`,
      state: "QUEUED",
    });
    expect(r.summary).toContain(`${s.url}/runs/${runId}`);
    expect(["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"]).not.toContain(
      (await getRun(s, runId)).state,
    );
    await untilRun(s, runId, (x) => x.state === "INPROGRESS");
    await api(s.url, "POST", `/api/v1/agent/runs/${runId}/cancel`, { key: s.key });
    expect((await untilEnded(s, runId)).state).toBe("CANCELLED");
  });

  it("timeout_minutes passed: the step cancels the run and fails, saying so", async () => {
    const r = await step({ prompt: "#wait-followup", timeout_minutes: "0.05" });
    expect(r.code, failed(r)).toBe(1);
    expect(r.stdout).toContain(
      "::error title=Ambit run stopped::The run did not end within 0.05 minutes",
    );
    expect((await untilEnded(s, r.outputs.run_id)).state).toBe("CANCELLED");
  });

  it("a request the platform refuses fails the step with its problem, naming what to fix", async () => {
    const r = await step({ prompt: "hello", environment: "no-such-environment" });
    expect(r.code, failed(r)).toBe(1);
    expect(r.stdout).toMatch(
      /^::error title=Ambit%3A the run was not created::Ambit answered 4\d\d \w+: .*no-such-environment/m,
    );
    expect(r.outputs).toEqual({});
  });

  it("a cancelled job (SIGINT, as GitHub sends) cancels the run and fails the step", async () => {
    let child: ChildProcess | undefined;
    const stepDone = runActionStep(
      ACTION_BUNDLE,
      { base_url: s.url, api_key: s.key, host: WORKER, prompt: "#wait-followup" },
      { onStart: (c) => (child = c) },
    );
    const list = async () =>
      (await api(s.url, "GET", "/api/v1/agent/runs?state=INPROGRESS", { key: s.key })).json.runs;
    expect(await waitFor(async () => (await list()).length === 1, 20_000)).toBe(true);
    const [{ run_id: runId }] = await list();
    child!.kill("SIGINT");
    const r = await stepDone;
    expect(r.code, failed(r)).toBe(1);
    expect(r.outputs.run_id).toBe(runId);
    expect(r.stdout).toContain("The job was cancelled, so the step cancelled the run.");
    expect((await untilEnded(s, runId)).state).toBe("CANCELLED");
  });

  it("a wrong API key fails the step with a clear message, creates nothing and never prints the key", async () => {
    const wrong = "ambit_wrong_0123456789abcdefghijklmnopqrstuv";
    const before = (await api(s.url, "GET", "/api/v1/agent/runs?limit=100", { key: s.key })).json
      .runs.length;
    const r = await step({ prompt: "hello", api_key: wrong });
    expect(r.code, failed(r)).toBe(1);
    expect(r.stdout).toMatch(
      /^::error title=Ambit%3A the run was not created::Ambit refused the API key \(401\).*Check the api_key input/m,
    );
    expect(r.outputs).toEqual({});
    expectKeyMasked(r, wrong);
    const after = (await api(s.url, "GET", "/api/v1/agent/runs?limit=100", { key: s.key })).json
      .runs.length;
    expect(after).toBe(before);
  });
});
