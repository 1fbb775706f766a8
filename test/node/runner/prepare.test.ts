import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskAssignment } from "@ambit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processBackend } from "../../../packages/runner/src/backends/process.ts";
import type { Backend } from "../../../packages/runner/src/backends/types.ts";
import type { HarnessEvent } from "../../../packages/runner/src/harness/types.ts";
import { cloneUrlOf, githubRepoOf } from "../../../packages/runner/src/run/git.ts";
import { prepareRun } from "../../../packages/runner/src/run/prepare.ts";

let root = "";
let origin = "";

/** A repository on disk with a `main` branch and a `feature` branch. */
function makeOrigin(dir: string) {
  const g = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    });
  g("init", "--quiet", "-b", "main");
  writeFileSync(path.join(dir, "README.md"), "main\n");
  g("add", "-A");
  g("commit", "--quiet", "-m", "init");
  g("checkout", "--quiet", "-b", "feature");
  writeFileSync(path.join(dir, "README.md"), "feature\n");
  g("commit", "--quiet", "-am", "feature");
  g("checkout", "--quiet", "main");
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "ambit-prepare-"));
  origin = path.join(root, "origin-repo");
  execFileSync("mkdir", ["-p", origin]);
  makeOrigin(origin);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const assignment = (environment: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  TaskAssignment.parse({
    task_id: "run_1",
    run_id: "run_1",
    execution_id: 1,
    task: {
      id: "run_1",
      title: "t",
      prompt: "p",
      created_at: new Date().toISOString(),
      agent_config: {},
      team_id: "team_1",
    },
    session: { path: "/api/v1/agent/runs/run_1/session", token: "x" },
    env_vars: { RUN_VAR: "from-run" },
    environment: { uid: "env_1", name: "test", ...environment },
    ...extra,
  });

async function prepare(
  a: TaskAssignment,
  name: string,
  makeBackend = async (ws: string, env: Record<string, string>): Promise<Backend> =>
    processBackend(ws, env),
) {
  const events: HarnessEvent[] = [];
  const workspace = path.join(root, name);
  // local repositories on this disk: the runner's --allow-local-repos
  const result = await prepareRun({
    assignment: a,
    workspace,
    allowLocalRepos: true,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    makeBackend,
  });
  return {
    result,
    events,
    workspace,
    steps: events.filter((e) => e.type === "setup.step").map((e) => e.payload),
  };
}

describe("prepareRun", () => {
  it("clones a local repository at a ref, applies variables and secrets, runs setup commands in order with their output streamed", async () => {
    const a = assignment(
      {
        repositories: [{ url: origin, ref: "feature" }],
        setup_commands: [
          "echo one > order.txt",
          'echo "two $ENV_VAR $RUN_VAR $MY_SECRET" >> order.txt; echo streamed-out; echo streamed-err >&2',
        ],
        env_vars: { ENV_VAR: "from-env" },
      },
      { secrets: [{ name: "MY_SECRET", value: "s3cr3t-value" }] },
    );
    const { result, events, workspace, steps } = await prepare(a, "ok");
    expect(result.ok, JSON.stringify(steps)).toBe(true);
    expect(readFileSync(path.join(workspace, "origin-repo/README.md"), "utf8")).toBe("feature\n");
    expect(readFileSync(path.join(workspace, "order.txt"), "utf8")).toBe(
      "one\ntwo from-env from-run s3cr3t-value\n",
    );
    expect(existsSync(path.join(workspace, "artifacts"))).toBe(true);
    expect(steps.map((s) => `${s.phase}:${s.status}`)).toEqual([
      "workspace:started",
      "workspace:succeeded",
      "env:started",
      "env:succeeded",
      "clone:started",
      "clone:succeeded",
      "setup_command:started",
      "setup_command:succeeded",
      "setup_command:started",
      "setup_command:succeeded",
    ]);
    for (const s of steps.filter((s) => s.status !== "started"))
      expect(s.duration_ms).toBeGreaterThanOrEqual(0);
    const output = events.filter(
      (e) => e.type === "command.output" && e.payload.call_id === "setup-2",
    );
    expect(
      output.map((e) => `${e.payload.stream}:${String(e.payload.chunk).trim()}`).sort(),
    ).toEqual(["stderr:streamed-err", "stdout:streamed-out"]);
    if (result.ok) await result.prepared.backend.dispose();
  });

  it("a failing setup command ends preparation naming the step, its exit code and its output tail; later commands never run", async () => {
    const a = assignment({
      setup_commands: [
        "true",
        "echo building; echo 'npm ERR! missing script: build' >&2; exit 3",
        "touch never.txt",
      ],
    });
    const { result, workspace, steps } = await prepare(a, "fail");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toMatchObject({ phase: "setup_command", exitCode: 3 });
    expect(result.failure.step).toContain("setup command 2");
    expect(result.failure.message).toMatch(
      /Environment setup failed: setup command 2 `echo building.*` exited with code 3/,
    );
    expect(result.failure.message).toContain("npm ERR! missing script: build");
    const failed = steps.find((s) => s.status === "failed")!;
    expect(failed).toMatchObject({ phase: "setup_command", exit_code: 3 });
    expect(failed.output_tail).toContain("missing script: build");
    expect(existsSync(path.join(workspace, "never.txt"))).toBe(false);
    await result.backend?.dispose();
  });

  it("a clone that fails ends preparation with git's message", async () => {
    const a = assignment({
      repositories: [{ url: path.join(root, "no-such-repo") }],
      setup_commands: ["touch never.txt"],
    });
    const { result, steps } = await prepare(a, "clone-fail");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.phase).toBe("clone");
    expect(result.failure.exitCode).toBe(128);
    expect(result.failure.message).toMatch(/clone .*no-such-repo exited with code 128/);
    expect(result.failure.tail).toMatch(/does not exist|not a git repository|Could not read/i);
    expect(steps.at(-1)).toMatchObject({ phase: "clone", status: "failed", exit_code: 128 });
  });

  it("a run whose image has no git (a shell's exit 127) is told to use an image with git", async () => {
    // what a docker backend's `ubuntu:24.04` answers: git runs inside the run's container
    const noGit = async (ws: string, env: Record<string, string>): Promise<Backend> => {
      const inner = processBackend(ws, env);
      return {
        ...inner,
        spawn: (command, args, opts) =>
          command === "git"
            ? inner.spawn("sh", ["-c", "echo 'sh: 1: git: not found' >&2; exit 127"], opts)
            : inner.spawn(command, args, opts),
      };
    };
    const a = assignment({ repositories: [{ url: origin }] });
    const { result } = await prepare(a, "no-git", noGit);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.exitCode).toBe(127);
    expect(result.failure.tail).toMatch(
      /git was not found where this run's commands run.*image with git/,
    );
  });

  it("a missing ref fails the clone step", async () => {
    const { result } = await prepare(
      assignment({ repositories: [{ url: origin, ref: "no-such-branch" }] }),
      "bad-ref",
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.tail).toMatch(/no-such-branch/);
  });
});

describe("repository URLs", () => {
  it("reads owner/repo as GitHub and recognises GitHub remotes", () => {
    expect(cloneUrlOf("acme/widgets", "https://github.com")).toBe(
      "https://github.com/acme/widgets.git",
    );
    expect(cloneUrlOf("https://gitlab.com/a/b.git")).toBe("https://gitlab.com/a/b.git");
    expect(cloneUrlOf("/tmp/x")).toBe("/tmp/x");
    expect(cloneUrlOf("./x/y")).toBe("./x/y");
    expect(githubRepoOf("https://github.com/acme/widgets.git", "https://github.com")).toBe(
      "acme/widgets",
    );
    expect(githubRepoOf("git@github.com:acme/widgets.git", "https://github.com")).toBe(
      "acme/widgets",
    );
    expect(githubRepoOf("https://gitlab.com/acme/widgets.git", "https://github.com")).toBeNull();
    expect(githubRepoOf("http://127.0.0.1:9999/acme/widgets.git", "http://127.0.0.1:9999")).toBe(
      "acme/widgets",
    );
  });
});
