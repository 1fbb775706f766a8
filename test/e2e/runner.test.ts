// The host runner against a real `wrangler dev`: runs created with POST /agent/runs travel the
// queue and the pool to a runner (in this process, or in a child process when the test must kill
// it), which prepares a workspace, runs the shell test harness (test/fakes/shell-harness.ts) and
// streams every event into the run's session.
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskAssignment } from "@ambit/protocol";
import { processBackend } from "../../packages/runner/src/backends/process.ts";
import type { Host } from "../../packages/runner/src/host.ts";
import { artifactCollector } from "../../packages/runner/src/run/artifacts.ts";
import { prepareRun } from "../../packages/runner/src/run/prepare.ts";
import { startFakeGitHub } from "../fakes/github.ts";
import { shellHarness } from "../fakes/shell-harness.ts";
import { api, type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";
import {
  alive,
  childHost as startChildHost,
  configure,
  createRun as createRunFor,
  eventsOf as eventsOfRun,
  getRun as getRunOf,
  inProcessHost as startInProcessHost,
  safeKill,
  stdoutOf,
  untilHosts as untilHostsOf,
  untilRun as untilRunOf,
} from "./runner-setup.ts";

let s: E2eServer;
let dir: string;
let origin: string;
const hosts: Host[] = [];
const children: ChildProcess[] = [];
const strays: number[] = [];

beforeAll(async () => {
  s = await startE2eServer({ teamName: "e2e-runner" });
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-runner-"));
  origin = path.join(dir, "origin");
  execFileSync("mkdir", ["-p", origin]);
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
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const pid of strays) safeKill(-pid);
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A runner in this process with the shell test harness, on its own workdir. */
async function inProcessHost(workerId: string, capacity = 2) {
  // the tests' repositories are on this disk (origin): --allow-local-repos
  const host = await startInProcessHost(s, dir, workerId, {
    capacity,
    harnesses: { ambit: shellHarness },
    allowLocalRepos: true,
  });
  hosts.push(host);
  return host;
}

/** A runner in a child process (test/fakes/runner-process.ts) with the shell test harness. */
function childHost(workerId: string, workdir: string, env?: Record<string, string>) {
  const h = startChildHost(s, workerId, workdir, { env });
  children.push(h.child);
  return h;
}

const createRun = (prompt: string, workerId: string, config: Json = {}) =>
  createRunFor(s, prompt, workerId, config);
const getRun = (runId: string) => getRunOf(s, runId);
const untilRun = (runId: string, pred: (r: Json) => boolean, timeoutMs = 20_000) =>
  untilRunOf(s, runId, pred, timeoutMs);
const untilHosts = (workerId: string, n: number, timeoutMs = 15_000) =>
  untilHostsOf(s, workerId, n, timeoutMs);
const eventsOf = (runId: string) => eventsOfRun(s, runId);

/** Waits until the run's output prints `<name>=<pid>` (within 20 s); answers the pid. */
async function printedPid(runId: string, name: string): Promise<number> {
  let pid = 0;
  const re = new RegExp(`${name}=(\\d+)`);
  expect(
    await waitFor(async () => {
      const m = stdoutOf(await eventsOf(runId)).match(re);
      return !!m && (pid = Number(m[1])) > 0;
    }, 20_000),
    `${name}=<pid> in the output of ${runId}`,
  ).toBe(true);
  return pid;
}

/** A file artifact's bytes, through GET /download's signed link. */
async function download(uid: string) {
  const res = await fetch(`${s.url}/api/v1/agent/artifacts/${uid}/download`, {
    headers: { authorization: `Bearer ${s.key}` },
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe("the host runner (wrangler dev)", () => {
  it("runs a prompt to SUCCEEDED: tool calls, streamed output, run_time and started_at filled in", async () => {
    await inProcessHost("e2e-runner-full");
    const runId = await createRun(
      `git clone --quiet ${origin} repo\necho fixed >> repo/README.md\ncat repo/README.md\necho "# Report" > artifacts/report.md\n#say all done`,
      "e2e-runner-full",
    );
    const run = await untilRun(runId, (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state));
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    expect(run.status_message.message).toBe("ran 4 commands");
    expect(run.started_at).toBeTruthy();
    expect(run.run_time).toMatch(/^P/);
    const events = await eventsOf(runId);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === "agent.tool_call")).toHaveLength(4);
    expect(types.filter((t) => t === "agent.tool_result")).toHaveLength(4);
    expect(stdoutOf(events, "call-3")).toBe("hello\nfixed\n");
    expect(events.some((e) => e.type === "agent.message" && e.payload.text === "all done")).toBe(
      true,
    );
    // the team's model gateway is on (the default): the harness's own usage report is dropped, the
    // gateway's ledger counts model calls (this harness makes none)
    expect(events.some((e) => e.type === "usage")).toBe(false);
    const steps = events
      .filter((e) => e.type === "setup.step")
      .map((e) => `${e.payload.phase}:${e.payload.status}`);
    expect(steps).toEqual([
      "workspace:started",
      "workspace:succeeded",
      "env:started",
      "env:succeeded",
    ]);
    // the change was committed to ambit/<run> and, with no GitHub remote, reported as a diff; artifacts/ was uploaded
    expect(run.artifacts.map((a: Json) => `${a.artifact_type}:${a.data.filename}`)).toEqual([
      "FILE:repo.diff",
      "FILE:report.md",
    ]);
    expect(run.artifacts[0].data.description).toBe(
      `Changes in repo, pushed as branch ambit/${runId}`,
    );
    expect(
      execFileSync("git", ["log", "--format=%s", `ambit/${runId}`, "-1"], { cwd: origin })
        .toString()
        .trim(),
    ).toBe(run.title);
    const diff = await download(run.artifacts[0].data.artifact_uid);
    expect(diff).toContain("+++ b/README.md");
    expect(diff).toContain("+fixed");
    expect(await download(run.artifacts[1].data.artifact_uid)).toBe("# Report\n");
    expect(
      events.filter((e) => e.type === "artifact.created").map((e) => e.payload.data.filename),
    ).toEqual(["repo.diff", "report.md"]);
    // every host event comes before the state change that ended the run
    const end = events.findIndex(
      (e) => e.type === "run.state_changed" && e.payload.to === "SUCCEEDED",
    );
    expect(end).toBe(events.length - 1);
  });

  it("a changed GitHub repository is pushed to ambit/<run> and opened as a pull request (PULL_REQUEST); without a token the private clone is refused", async () => {
    const gh = await startFakeGitHub("ghp_fake_token_123");
    process.env.AMBIT_GITHUB_URL = gh.url; // what `owner/repo` and GitHub remotes mean, for prepareRun
    try {
      gh.createRepo("acme/widgets");
      const runId = await createRun("Polish the README", "e2e-runner-pr-nobody");
      const title = (await getRun(runId)).title as string;
      const assignment = (secrets: { name: string; value: string }[]) =>
        TaskAssignment.parse({
          task_id: runId,
          run_id: runId,
          execution_id: 1,
          task: {
            id: runId,
            title,
            prompt: "Polish the README",
            created_at: new Date().toISOString(),
            agent_config: {},
            team_id: s.team.uid,
          },
          session: {
            path: `/api/v1/agent/runs/${runId}/session`,
            token: "unused: the admin key authenticates",
          },
          env_vars: {},
          environment: { uid: "e", name: "e", repositories: [{ url: "acme/widgets" }] },
          secrets,
        });
      const collect = artifactCollector({
        baseUrl: s.url,
        githubApiUrl: gh.apiUrl,
        githubUrl: gh.url,
      });
      const events: Json[] = [];
      const prepareAndChange = async (a: TaskAssignment, name: string) => {
        const prep = await prepareRun({
          assignment: a,
          workspace: path.join(dir, name),
          emit: (e) => events.push(e),
          signal: new AbortController().signal,
          makeBackend: async (ws, env) => processBackend(ws, env),
        });
        expect(prep.ok, JSON.stringify(events.filter((e) => e.type === "setup.step").at(-1))).toBe(
          true,
        );
        if (!prep.ok) throw new Error("prepare failed");
        writeFileSync(path.join(prep.prepared.workspace, "widgets/README.md"), "hello, polished\n");
        return prep.prepared;
      };

      const withToken = assignment([{ name: "GITHUB_TOKEN", value: "ghp_fake_token_123" }]);
      const prepared = await prepareAndChange(withToken, "pr-ws");
      const reported = await collect({
        assignment: withToken,
        prepared,
        emit: (e) => events.push(e),
        signal: new AbortController().signal,
        authorization: `Bearer ${s.key}`,
      });
      expect(reported).toEqual([
        {
          artifact_type: "PULL_REQUEST",
          data: { url: `${gh.url}/acme/widgets/pull/1`, branch: `ambit/${runId}` },
        },
        // the diff goes along with the pull request, for the console to render
        { artifact_type: "FILE", data: expect.objectContaining({ filename: "widgets.diff" }) },
      ]);
      expect(gh.pulls).toMatchObject([
        { repo: "acme/widgets", head: `ambit/${runId}`, base: "main", title },
      ]);
      expect(gh.branches("acme/widgets").sort()).toEqual([`ambit/${runId}`, "main"]);
      expect(
        events.some(
          (e) => e.type === "artifact.created" && e.payload.artifact_type === "PULL_REQUEST",
        ),
      ).toBe(true);

      const noToken = assignment([]);
      const clonedBefore = gh.refused.length;
      const prepared2 = await prepareAndChange({ ...noToken, execution_id: 2 }, "pr-ws-2").catch(
        () => null,
      );
      // the fake demands credentials even to clone, like a private repository: without a token the clone fails
      expect(prepared2).toBeNull();
      expect(gh.refused.length).toBeGreaterThan(clonedBefore);

      const run = await getRun(runId);
      expect(run.artifacts).toEqual([
        expect.objectContaining({
          artifact_type: "PULL_REQUEST",
          data: { url: `${gh.url}/acme/widgets/pull/1`, branch: `ambit/${runId}` },
        }),
        expect.objectContaining({
          artifact_type: "FILE",
          data: expect.objectContaining({ filename: "widgets.diff" }),
        }),
      ]);
    } finally {
      delete process.env.AMBIT_GITHUB_URL;
      await gh.stop();
    }
  });

  it("redacts secret values from every event it sends, a value split across output chunks included", async () => {
    // a team secret made over the API reaches the run's environment through the pool's assignment
    const secret = "tok_9f8e7d6c5b4a3f2e1d0c";
    await configure(s).secret("API_TOKEN", secret);
    await inProcessHost("e2e-runner-secrets");
    const prompt = [
      'echo "plain: $API_TOKEN"',
      // two writes 100 ms apart: two output chunks, the value split between them
      `printf "split: %s" "\${API_TOKEN%${"?".repeat(secret.length / 2)}}"; sleep 0.1; printf "%s\\n" "\${API_TOKEN#${"?".repeat(secret.length / 2)}}"`,
      `#say I found ${secret} in the environment`,
    ].join("\n");
    const runId = await createRun(prompt, "e2e-runner-secrets");
    const run = await untilRun(runId, (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state));
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const events = await eventsOf(runId);
    const hostEvents = JSON.stringify(events.filter((e) => e.actor.type === "host"));
    expect(stdoutOf(events)).toBe("plain: [REDACTED:API_TOKEN]\nsplit: [REDACTED:API_TOKEN]\n");
    expect(
      events.some(
        (e) =>
          e.type === "agent.message" &&
          e.payload.text === "I found [REDACTED:API_TOKEN] in the environment",
      ),
    ).toBe(true);
    for (let i = 0; i + 6 <= secret.length; i++)
      expect(hostEvents).not.toContain(secret.slice(i, i + 6));
  });

  it("a failing setup command ends the run FAILED with environment_setup_failed, naming the step, exit code and output tail", async () => {
    // an environment made over the API, named by the run: the pool's assignment carries it
    const environmentId = await configure(s).environment({
      name: "broken",
      repositories: [{ url: origin }],
      setup_commands: [
        "test -f origin/README.md",
        "echo compiling; echo 'error: cannot find module x' >&2; exit 7",
        "echo never",
      ],
    });
    await inProcessHost("e2e-runner-setup");
    const runId = await createRun("echo never runs", "e2e-runner-setup", {
      environment_id: environmentId,
    });
    const run = await untilRun(runId, (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state));
    expect(run.state).toBe("FAILED");
    expect(run.status_message.error_code).toBe("environment_setup_failed");
    expect(run.status_message.message).toMatch(
      /^Environment setup failed: setup command 2 `echo compiling.*` exited with code 7\. Last output:\n/,
    );
    expect(run.status_message.message).toContain("error: cannot find module x");
    const events = await eventsOf(runId);
    const steps = events
      .filter((e) => e.type === "setup.step")
      .map((e) => `${e.payload.phase}:${e.payload.status}`);
    expect(steps).toEqual([
      "workspace:started",
      "workspace:succeeded",
      "env:started",
      "env:succeeded",
      "clone:started",
      "clone:succeeded",
      "setup_command:started",
      "setup_command:succeeded",
      "setup_command:started",
      "setup_command:failed",
    ]);
    expect(
      events.find((e) => e.type === "setup.step" && e.payload.status === "failed")!.payload,
    ).toMatchObject({ exit_code: 7, output_tail: expect.stringContaining("cannot find module x") });
    expect(stdoutOf(events, "setup-2")).toBe("compiling\n");
    expect(events.some((e) => e.type === "agent.tool_call")).toBe(false); // the harness never started
  });

  it("loses and doubles nothing when its connections drop mid-stream", async () => {
    const host = await inProcessHost("e2e-runner-drop");
    // 40,000 lines over ~2 s, so the drops land mid-stream
    const runId = await createRun(
      "for i in $(seq 0 39); do seq $((i*1000+1)) $((i*1000+1000)); sleep 0.05; done",
      "e2e-runner-drop",
    );
    await untilRun(runId, (r) => r.state !== "QUEUED" && r.state !== "PENDING");
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 150));
      host.reconnect();
    }
    const run = await untilRun(
      runId,
      (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state),
      40_000,
    );
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const events = await eventsOf(runId);
    const expected = Array.from({ length: 40000 }, (_, i) => `${i + 1}\n`).join("");
    expect(
      stdoutOf(events, "call-1") === expected,
      "the output arrived whole, in order, once",
    ).toBe(true);
  });

  it("cancel mid-command kills the whole process tree and ends CANCELLED", async () => {
    await inProcessHost("e2e-runner-cancel");
    const runId = await createRun("sleep 300 & echo child=$!; wait", "e2e-runner-cancel");
    const child = await printedPid(runId, "child");
    strays.push(child);
    expect(alive(child)).toBe(true);
    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/cancel`, { key: s.key });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(runId, (r) => r.state === "CANCELLED");
    expect(run.status_message.message).toMatch(/Cancelled on the host/);
    expect(await waitFor(() => !alive(child), 5_000), `process ${child} survived the cancel`).toBe(
      true,
    );
  });

  it("delivers a follow-up mid-run to the harness", async () => {
    await inProcessHost("e2e-runner-followup");
    const runId = await createRun(
      "#say waiting\n#wait-followup\necho got: $FOLLOWUP",
      "e2e-runner-followup",
    );
    expect(
      await waitFor(
        async () =>
          (await eventsOf(runId)).some(
            (e) => e.type === "agent.message" && e.payload.text === "waiting",
          ),
        20_000,
      ),
    ).toBe(true);
    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/followups`, {
      key: s.key,
      body: { message: "use tabs" },
    });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(runId, (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state));
    expect(run.state).toBe("SUCCEEDED");
    expect(stdoutOf(await eventsOf(runId))).toBe("got: use tabs\n");
  });

  it("BLOCKED on a question, resumed by the answer", async () => {
    await inProcessHost("e2e-runner-blocked");
    const runId = await createRun(
      "#ask Which color should the button be?\necho color=$ANSWER",
      "e2e-runner-blocked",
    );
    const blocked = await untilRun(runId, (r) => r.state === "BLOCKED");
    expect(blocked.status_message.message).toBe(
      "Waiting for a person: Which color should the button be?",
    );
    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/followups`, {
      key: s.key,
      body: { message: "blue" },
    });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(runId, (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state));
    expect(run.state).toBe("SUCCEEDED");
    const events = await eventsOf(runId);
    expect(stdoutOf(events)).toBe("color=blue\n");
    const states = events.filter((e) => e.type === "run.state_changed").map((e) => e.payload.to);
    expect(states).toEqual([
      "PENDING",
      "CLAIMED",
      "INPROGRESS",
      "BLOCKED",
      "INPROGRESS",
      "SUCCEEDED",
    ]);
  });

  it("SIGTERM drains: the running run finishes, the runner exits 0, nothing new is taken", async () => {
    const workdir = mkdtempSync(path.join(dir, "wd-drain-"));
    const h = childHost("e2e-runner-drain", workdir);
    await untilHosts("e2e-runner-drain", 1, 30_000);
    const runId = await createRun("sleep 2\necho finished", "e2e-runner-drain");
    await untilRun(runId, (r) => r.state === "INPROGRESS");
    h.child.kill("SIGTERM");
    const run = await untilRun(runId, (r) => ["SUCCEEDED", "FAILED", "ERROR"].includes(r.state));
    expect(run.state, h.output()).toBe("SUCCEEDED");
    expect(await h.exited, h.output()).toBe(0);
    const later = await createRun("echo never", "e2e-runner-drain");
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await getRun(later)).state).toBe("QUEUED");
  });

  it("a runner killed mid-run leaves no run stuck: the run ends ERROR (retryable), a follow-up runs it again on the restarted runner", async () => {
    const workdir = mkdtempSync(path.join(dir, "wd-kill-"));
    const first = childHost("e2e-runner-kill", workdir);
    await untilHosts("e2e-runner-kill", 1, 30_000);
    const runId = await createRun(
      "echo pid=$$\n#wait-followup\necho resumed with: $FOLLOWUP",
      "e2e-runner-kill",
    );
    await printedPid(runId, "pid");
    first.child.kill("SIGKILL");
    await first.exited;
    const second = childHost("e2e-runner-kill", workdir);
    await waitFor(() => second.output().includes('"ready"'), 30_000);
    const lost = await untilRun(runId, (r) => r.state === "ERROR", 60_000);
    expect(lost.status_message).toMatchObject({
      error_code: "resource_unavailable",
      retryable: true,
    });
    expect(lost.status_message.message).toMatch(/stopped answering/);
    const res = await api(s.url, "POST", `/api/v1/agent/runs/${runId}/followups`, {
      key: s.key,
      body: { message: "try again" },
    });
    expect(res.status, res.text).toBeLessThan(300);
    const run = await untilRun(runId, (r) => r.state === "SUCCEEDED", 30_000);
    expect(run.state, second.output()).toBe("SUCCEEDED");
    expect(stdoutOf(await eventsOf(runId))).toContain("resumed with: try again\n");
    second.child.kill("SIGKILL");
  }, 120_000);

  it("an agent busy when its runner is killed with SIGKILL does not outlive it: the runner's watchdog kills its process group, else the runner started again on the workdir does", async () => {
    const groupAlive = (pgid: number) => {
      try {
        process.kill(-pgid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const watchdog of [true, false]) {
      const workerId = `e2e-runner-orphan-${watchdog ? "dog" : "sweep"}`;
      const workdir = mkdtempSync(path.join(dir, "wd-orphan-"));
      const env: Record<string, string> = watchdog ? {} : { RUNNER_ORPHAN_WATCHDOG: "0" };
      const first = childHost(workerId, workdir, env);
      await untilHosts(workerId, 1, 30_000);
      const runId = await createRun("echo pid=$$; sleep 300", workerId);
      const pgid = await printedPid(runId, "pid");
      strays.push(pgid);
      first.child.kill("SIGKILL");
      await first.exited;
      if (!watchdog) {
        await new Promise((r) => setTimeout(r, 1_000));
        expect(groupAlive(pgid), "no watchdog: the group outlives its runner").toBe(true);
        const second = childHost(workerId, workdir, env);
        await waitFor(() => second.output().includes('"ready"'), 30_000);
        expect(second.output()).toContain("killed process groups");
        second.child.kill("SIGKILL");
      }
      expect(await waitFor(() => !groupAlive(pgid), 5_000), `group ${pgid} survived`).toBe(true);
    }
  }, 120_000);
});
