// Work that survives, against a real `wrangler dev`, real runners and the scripted model server:
// the runner checkpoints the workspace (a repository's uncommitted file) and the built-in
// harness's conversation; a follow-up on the ended run starts its next execution from that
// checkpoint, so the agent finds the file it wrote in turn 1 and the model gets the conversation.
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import type { Host } from "../../packages/runner/src/host.ts";
import { type ModelServer, type ScriptedTurn, startModelServer } from "../fakes/model-server.ts";
import { runCli } from "./cli-run.ts";
import { api, type E2eServer, startE2eServer, waitFor } from "./helpers.ts";
import {
  childHost,
  configure,
  createRun,
  eventsOf,
  inProcessHost,
  stdoutOf,
  untilEnded,
  untilHosts,
  useModelServer,
} from "./runner-setup.ts";

let s: E2eServer;
let dir: string;
let origin: string;
let model: ModelServer;
const hosts: Host[] = [];
const children: ChildProcess[] = [];
/** each run's scripted turns, by the run's prompt (its first user message) */
const scripts = new Map<string, ScriptedTurn[]>();
/** the built CLI, for the hand-off */
let bin: Promise<string>;

beforeAll(async () => {
  bin = buildCli();
  // a killed runner's runs are given up 3 s after its socket dropped (not the default 30 s)
  s = await startE2eServer({
    teamName: "e2e-checkpoints",
    vars: { HOST_LOST_GRACE_MS: "3000" },
  });
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-checkpoints-"));
  origin = path.join(dir, "repo");
  mkdirSync(origin);
  const g = (...args: string[]) =>
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
  g("init", "--quiet", "-b", "main");
  writeFileSync(path.join(origin, "README.md"), "hello\n");
  g("add", "-A");
  g("commit", "--quiet", "-m", "init");
  // every run of this file plays its own script, picked by its prompt; one turn per model call
  const played = new Map<string, number>();
  model = await startModelServer((req) => {
    const prompt = JSON.stringify(req.body.messages ?? []);
    const key = [...scripts.keys()].find((k) => prompt.includes(k));
    if (!key) return { text: "no script" };
    const n = played.get(key) ?? 0;
    played.set(key, n + 1);
    return scripts.get(key)![n] ?? { text: "script over" };
  });
  await useModelServer(s, "m-checkpoints", model.url);
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await model?.close();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const shell = (command: string): ScriptedTurn => ({
  toolCalls: [{ name: "run_shell_command", args: { command } }],
});

async function environment(name: string) {
  return configure(s).environment({ name, repositories: [{ url: origin }] });
}

describe("checkpoints and resume (wrangler dev, runner, scripted model)", () => {
  it("a follow-up on an ended run starts from its last checkpoint: the uncommitted file of turn 1 and the conversation are back", async () => {
    const worker = "e2e-cp-followup";
    hosts.push(
      await inProcessHost(s, dir, worker, { allowLocalRepos: true, checkpointIntervalMs: 0 }),
    );
    const prompt = "Write turn1.txt [followup-case]";
    scripts.set("[followup-case]", [
      shell("echo from-turn-1 > repo/turn1.txt"),
      { text: "Wrote repo/turn1.txt." },
      shell("cat repo/turn1.txt; git -C repo status --porcelain"),
      { text: "It is still there." },
    ]);
    const runId = await createRun(s, prompt, worker, {
      model_id: "m-checkpoints",
      environment_id: await environment("cp-followup"),
    });
    const first = await untilEnded(s, runId, 60_000);
    expect(first.state, JSON.stringify(first.status_message)).toBe("SUCCEEDED");
    const before = await eventsOf(s, runId);
    const [cp] = before.filter((e) => e.type === "checkpoint");
    expect(cp?.payload, JSON.stringify(before.map((e) => e.type))).toMatchObject({
      reason: "ended",
      execution_id: 1,
      has_conversation: true,
      repos: [{ name: "repo", branch: "main" }],
    });
    // hand-off: `ambit run checkout` brings the change into a clone of the repository
    const mine = path.join(dir, "laptop");
    execFileSync("git", ["clone", "--quiet", origin, mine]);
    const out = await runCli(await bin, ["run", "checkout", runId, "--json"], {
      env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key, HOME: dir },
      cwd: mine,
    });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      checkpoint_id: cp.payload.checkpoint_id,
      branch: `ambit/${runId}`,
    });
    const onBranch = (...args: string[]) =>
      execFileSync("git", args, { cwd: mine }).toString().trim();
    expect(onBranch("rev-parse", "--abbrev-ref", "HEAD")).toBe(`ambit/${runId}`);
    expect(readFileSync(path.join(mine, "turn1.txt"), "utf8")).toBe("from-turn-1\n");

    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/followups`, {
      key: s.key,
      body: { message: "Is the file still there?" },
    });
    expect(res.status, res.text).toBeLessThan(300);
    const second = await untilEnded(s, runId, 60_000);
    expect(second.state, JSON.stringify(second.status_message)).toBe("SUCCEEDED");
    const events = (await eventsOf(s, runId)).filter((e) => e.execution_id === 2);
    const restore = events.findLast(
      (e) => e.type === "setup.step" && String(e.payload.name).startsWith("restore checkpoint"),
    );
    expect(restore?.payload).toMatchObject({
      status: "succeeded",
      output_tail: "restored repo",
    });
    // the file of turn 1, still uncommitted in the new execution's fresh clone
    expect(stdoutOf(events)).toBe("from-turn-1\n?? turn1.txt\n");
    // the model got the whole conversation: turn 1, its answer, then the follow-up
    const calls = model.requests.filter((r) => JSON.stringify(r.body).includes("[followup-case]"));
    const third = JSON.stringify(calls[2].body.messages);
    expect(third).toContain("echo from-turn-1");
    expect(third).toContain("Wrote repo/turn1.txt.");
    expect(third).toContain("Is the file still there?");
  });

  it("ambit run continue <id> --local: a new LOCAL execution of the ended run, in a clone with its checkpoint checked out and the conversation resumed", async () => {
    const worker = "e2e-cp-continue";
    hosts.push(
      await inProcessHost(s, dir, worker, { allowLocalRepos: true, checkpointIntervalMs: 0 }),
    );
    scripts.set("[continue-case]", [
      shell("echo from-turn-1 > repo/turn1.txt"),
      { text: "Wrote repo/turn1.txt." },
      // on the laptop the clone itself is the workspace
      shell("cat turn1.txt; git status --porcelain"),
      { text: "Continued here." },
    ]);
    const runId = await createRun(s, "Write turn1.txt [continue-case]", worker, {
      model_id: "m-checkpoints",
      environment_id: await environment("cp-continue"),
    });
    const first = await untilEnded(s, runId, 60_000);
    expect(first.state, JSON.stringify(first.status_message)).toBe("SUCCEEDED");

    const laptop = path.join(dir, "laptop-continue");
    execFileSync("git", ["clone", "--quiet", origin, laptop]);
    const out = await runCli(
      await bin,
      ["run", "continue", runId, "--local", "--prompt", "Carry on from the laptop", "--json"],
      { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key, HOME: dir }, cwd: laptop },
    );
    expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
    const onBranch = execFileSync("git", ["rev-parse", "--abbrev-ref", "HEAD"], { cwd: laptop });
    expect(onBranch.toString().trim()).toBe(`ambit/${runId}`);

    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const events = await eventsOf(s, runId);
    // the second execution was LOCAL: claimed by the CLI on its creator's machine
    const reopened = events.find(
      (e) => e.type === "run.state_changed" && e.payload.execution_id === 2,
    );
    expect(reopened?.payload.status_message?.message).toMatch(/LOCAL/);
    const second = events.filter((e) => e.execution_id === 2);
    expect(
      second.some(
        (e) =>
          e.type === "run.state_changed" &&
          e.payload.to === "PENDING" &&
          /CLI on its creator's machine/.test(e.payload.status_message?.message ?? ""),
      ),
      JSON.stringify(second.map((e) => [e.type, e.payload.to])),
    ).toBe(true);
    // the file of turn 1 was there, uncommitted on top of the checked-out branch
    expect(stdoutOf(second)).toBe("from-turn-1\n");
    // the model got the earlier conversation and then the new prompt
    const calls = model.requests.filter((r) => JSON.stringify(r.body).includes("[continue-case]"));
    const third = JSON.stringify(calls[2].body.messages);
    expect(third).toContain("echo from-turn-1");
    expect(third).toContain("Wrote repo/turn1.txt.");
    expect(third).toContain("Carry on from the laptop");
  });

  it("a runner killed (SIGKILL) after a checkpoint: the run goes back in line, a second runner resumes it from the checkpoint and it SUCCEEDS with the file of turn 1", async () => {
    const worker = "e2e-cp-sigkill";
    const env = { RUNNER_CHECKPOINT_INTERVAL_MS: "1000" };
    const first = childHost(s, worker, mkdtempSync(path.join(dir, "wd-k1-")), {
      harness: "builtin",
      env,
    });
    children.push(first.child);
    await untilHosts(s, worker, 1, 30_000);
    scripts.set("[sigkill-case]", [
      shell("echo from-turn-1 > repo/turn1.txt"),
      // the agent is busy when its runner dies; interval checkpoints are taken meanwhile
      shell("sleep 20"),
      shell("cat repo/turn1.txt"),
      { text: "Resumed and done." },
    ]);
    const runId = await createRun(s, "Write turn1.txt, then work [sigkill-case]", worker, {
      model_id: "m-checkpoints",
      environment_id: await environment("cp-sigkill"),
    });
    // a checkpoint that holds turn 1's result (taken while `sleep 20` runs)
    const ok = await waitFor(
      async () => {
        const events = await eventsOf(s, runId);
        const sleeping = events.find(
          (e) => e.type === "agent.tool_call" && e.payload.input?.command === "sleep 20",
        );
        return !!sleeping && events.some((e) => e.type === "checkpoint" && e.seq > sleeping.seq);
      },
      60_000,
      250,
    );
    expect(ok, first.output()).toBe(true);
    first.child.kill("SIGKILL");
    await first.exited;

    const second = childHost(s, worker, mkdtempSync(path.join(dir, "wd-k2-")), {
      harness: "builtin",
      env,
    });
    children.push(second.child);
    const run = await untilEnded(s, runId, 90_000);
    expect(run.state, `${JSON.stringify(run.status_message)}\n${second.output()}`).toBe(
      "SUCCEEDED",
    );
    const events = await eventsOf(s, runId);
    const warning = events.find((e) => e.type === "log" && e.payload.source === "platform");
    expect(warning?.payload.message).toMatch(/checkpoint of .* is lost$/);
    const resumed = events.filter((e) => e.execution_id === 2);
    expect(stdoutOf(resumed)).toContain("from-turn-1\n");
    // the model picked the conversation up where the checkpoint left it, told of the loss
    const calls = model.requests.filter((r) => JSON.stringify(r.body).includes("[sigkill-case]"));
    const after = JSON.stringify(calls[2].body.messages);
    expect(after).toContain("echo from-turn-1");
    expect(after).toContain("The host you ran on was lost");
    second.child.kill("SIGTERM");
  });
});
