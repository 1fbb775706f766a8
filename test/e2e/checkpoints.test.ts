// Work that survives, against a real `wrangler dev`, real runners and the scripted model server:
// the runner checkpoints the workspace (a repository's uncommitted file) and the built-in
// harness's conversation; a follow-up on the ended run starts its next execution from that
// checkpoint, so the agent finds the file it wrote in turn 1 and the model gets the conversation.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Host } from "../../packages/runner/src/host.ts";
import { type ModelServer, type ScriptedTurn, startModelServer } from "../fakes/model-server.ts";
import { api, type E2eServer, type Json, startE2eServer } from "./helpers.ts";
import {
  configure,
  createRun,
  eventsOf,
  inProcessHost,
  stdoutOf,
  untilEnded,
  useModelServer,
} from "./runner-setup.ts";

let s: E2eServer;
let dir: string;
let origin: string;
let model: ModelServer;
const hosts: Host[] = [];
/** each run's scripted turns, by the run's prompt (its first user message) */
const scripts = new Map<string, ScriptedTurn[]>();

beforeAll(async () => {
  s = await startE2eServer({ teamName: "e2e-checkpoints" });
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
    // a member reads it as `latest`
    const latest = await fetch(`${s.url}/api/v1/agent/runs/${runId}/checkpoints/latest`, {
      headers: { authorization: `Bearer ${s.key}` },
    });
    expect(latest.status).toBe(200);
    expect(latest.headers.get("x-ambit-checkpoint-id")).toBe(cp.payload.checkpoint_id);

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
});
