// Finding 3: the runner ran `git` on the host inside directories the run controls. A repository
// the agent left behind could make the runner's `git status` run a command (core.fsmonitor, hooks,
// filters, …) on the host, outside the run's container; an environment's `ref` reached
// `git checkout` as an option (`--pathspec-from-file=<host file>` printed a host file into the
// run's status message), and a local path as repository URL cloned from the host's disk. Also of
// this class: the runner reading files the run controls (artifacts/, rule files) on the host.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskAssignment } from "@ambit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baselineEnv, processBackend } from "../../../packages/runner/src/backends/process.ts";
import type { Backend } from "../../../packages/runner/src/backends/types.ts";
import type { HarnessEvent } from "../../../packages/runner/src/harness/types.ts";
import { buildSystemPrompt } from "../../../packages/runner/src/harness/prompt.ts";
import { artifactCollector } from "../../../packages/runner/src/run/artifacts.ts";
import { prepareRun } from "../../../packages/runner/src/run/prepare.ts";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};
const g = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, env: GIT_ENV }).toString();

let root = "";
let origin = "";
/** a host file outside every workspace, holding a value no run may see */
let hostFile = "";
const CANARY = "host-only-canary-7f3a9c";
let uploads: string[] = [];
let server: Server;
let baseUrl = "";

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "ambit-sec-git-"));
  origin = path.join(root, "origin");
  mkdirSync(origin);
  g(origin, "init", "--quiet", "-b", "main");
  writeFileSync(path.join(origin, "README.md"), "hello\n");
  g(origin, "add", "-A");
  g(origin, "commit", "--quiet", "-m", "init");
  g(origin, "branch", "feature");
  hostFile = path.join(root, "host-secret.txt");
  writeFileSync(hostFile, `${CANARY}\n`);
  // the platform's artifact endpoint: records what the runner uploads
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      uploads.push(body);
      res
        .writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ artifact_type: "FILE", data: {} }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

const assignment = (repositories: { url: string; ref?: string }[]) =>
  TaskAssignment.parse({
    task_id: "run_sec",
    run_id: "run_sec",
    execution_id: 1,
    task: {
      id: "run_sec",
      title: "t",
      prompt: "p",
      created_at: new Date().toISOString(),
      agent_config: {},
      team_id: "team_1",
    },
    session: { path: "/api/v1/agent/runs/run_sec/session", token: "x" },
    env_vars: {},
    environment: { uid: "env_1", name: "test", repositories },
  });

/** A process backend that records every program it starts. */
function recordingBackend(ws: string, env: Record<string, string>, started: string[]): Backend {
  const inner = processBackend(ws, env);
  return {
    ...inner,
    spawn: (command, args, opts) => (
      started.push([command, ...args].join(" ")), inner.spawn(command, args, opts)
    ),
  };
}

let n = 0;
async function prepare(
  repositories: { url: string; ref?: string }[],
  opts: { allowLocalRepos?: boolean } = {},
) {
  const events: HarnessEvent[] = [];
  const started: string[] = [];
  const workspace = path.join(root, `ws-${++n}`);
  const result = await prepareRun({
    assignment: assignment(repositories),
    workspace,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    makeBackend: async (ws, env) => recordingBackend(ws, env, started),
    ...opts,
  } as Parameters<typeof prepareRun>[0]);
  const backend = result.ok ? result.prepared.backend : result.backend;
  await backend?.dispose();
  return {
    result,
    events,
    started,
    workspace,
    text: JSON.stringify(events) + JSON.stringify(result),
  };
}

describe("finding 3: git on the host in directories the run controls", () => {
  it("a repository the agent left with core.fsmonitor, hooks, a filter, an external diff and gpg signing runs none of them when the runner collects artifacts", async () => {
    const ws = path.join(root, "planted");
    const repo = path.join(ws, "repo");
    mkdirSync(repo, { recursive: true });
    g(repo, "init", "--quiet", "-b", "main");
    writeFileSync(path.join(repo, "a.txt"), "one\n");
    g(repo, "add", "-A");
    g(repo, "commit", "--quiet", "-m", "init");
    // what an agent can write into its own workspace: a script, and config/hooks that name it
    const marker = (k: string) => path.join(root, `marker-${k}`);
    const evil = path.join(repo, ".git", "evil.sh");
    writeFileSync(evil, `#!/bin/sh\ntouch "${root}/marker-$1"\ncat\n`);
    chmodSync(evil, 0o755);
    for (const [key, value] of [
      ["core.fsmonitor", `${evil} fsmonitor`],
      ["core.pager", `${evil} pager`],
      ["core.sshCommand", `${evil} ssh`],
      ["diff.external", `${evil} diff`],
      ["filter.evil.clean", `${evil} filter`],
      ["filter.evil.smudge", `${evil} smudge`],
      ["diff.evil.textconv", `${evil} textconv`],
      ["gpg.program", `${evil} gpg`],
      ["commit.gpgSign", "true"],
      ["credential.helper", `!${evil} credential`],
      ["remote.origin.url", "ssh://git@127.0.0.1:1/x.git"],
    ])
      g(repo, "config", key, value);
    writeFileSync(path.join(repo, ".gitattributes"), "* filter=evil diff=evil\n");
    for (const hook of [
      "pre-commit",
      "post-commit",
      "commit-msg",
      "prepare-commit-msg",
      "pre-push",
      "post-checkout",
      "reference-transaction",
    ]) {
      writeFileSync(
        path.join(repo, ".git", "hooks", hook),
        `#!/bin/sh\ntouch "${root}/marker-hook-${hook}"\n`,
      );
      chmodSync(path.join(repo, ".git", "hooks", hook), 0o755);
    }
    writeFileSync(path.join(repo, "a.txt"), "two\n"); // a change, so the runner commits, pushes and diffs

    const env = { ...baselineEnv() };
    const backend = processBackend(ws, env);
    const events: HarnessEvent[] = [];
    await artifactCollector({ baseUrl })({
      assignment: assignment([]),
      prepared: { workspace: ws, env, repos: [], backend } as never,
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
      authorization: "Bearer x",
    });
    await backend.dispose();
    const ran = [
      "fsmonitor",
      "pager",
      "ssh",
      "diff",
      "filter",
      "smudge",
      "textconv",
      "gpg",
      "credential",
      "hook-pre-commit",
      "hook-post-commit",
      "hook-commit-msg",
      "hook-prepare-commit-msg",
      "hook-pre-push",
      "hook-post-checkout",
      "hook-reference-transaction",
    ].filter((k) => existsSync(marker(k)));
    expect(ran).toEqual([]);
    // the change was still committed and reported as a diff
    expect(uploads.some((u) => u.includes("+two"))).toBe(true);
  });

  it("runs every git command of a run through the run's backend, not on the host", async () => {
    const { result, started } = await prepare([{ url: origin, ref: "feature" }], {
      allowLocalRepos: true,
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(
      started
        .filter((c) => c.startsWith("git "))
        .map((c) => c.match(/ (clone|checkout|rev-parse) /)?.[1]),
    ).toEqual(["clone", "checkout", "rev-parse"]); // rev-parse: the commit the run's diff starts from
  });

  it("an option-like ref (--pathspec-from-file=<host file>) is refused with a clear message and never reaches git", async () => {
    const { result, text, started } = await prepare(
      [{ url: origin, ref: `--pathspec-from-file=${hostFile}` }],
      { allowLocalRepos: true },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.message).toMatch(
      /ref .*--pathspec-from-file.* is not a valid git ref: it begins with '-'/,
    );
    expect(text).not.toContain(CANARY);
    expect(started.some((c) => c.includes("checkout"))).toBe(false);
  });

  it.each([
    ["a..b"],
    ["main branch"],
    ["x\nHEAD"],
    ["feat~1"],
    ["ref:x"],
    ["@{-1}"],
    ["a/"],
    ["x.lock"],
  ])("a malformed ref %j is refused", async (ref) => {
    const { result, started } = await prepare([{ url: origin, ref }], { allowLocalRepos: true });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.message).toMatch(/is not a valid git ref/);
    expect(started.some((c) => c.includes("checkout"))).toBe(false);
  });

  it("an option-like repository URL (--upload-pack=…) is refused and runs nothing", async () => {
    const { result, started } = await prepare(
      [{ url: `--upload-pack=touch ${root}/marker-upload-pack` }],
      { allowLocalRepos: true },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.message).toMatch(/repository URL .* is not allowed/);
    expect(existsSync(path.join(root, "marker-upload-pack"))).toBe(false);
    expect(started.filter((c) => c.startsWith("git "))).toEqual([]);
  });

  it("local paths, file:// and other non-network URLs are refused without --allow-local-repos", async () => {
    for (const url of [
      origin,
      `file://${origin}`,
      "./origin",
      "../origin",
      `ext::sh -c touch% ${root}/marker-ext`,
      "fd::3",
      "foo::bar",
    ]) {
      const { result, started } = await prepare([{ url }]);
      expect(result.ok, url).toBe(false);
      if (!result.ok)
        expect(result.failure.message, url).toMatch(/not allowed.*(--allow-local-repos|network)/s);
      expect(
        started.filter((c) => c.startsWith("git ")),
        url,
      ).toEqual([]);
    }
    expect(existsSync(path.join(root, "marker-ext"))).toBe(false);
    // with the flag (a `--local` run's own machine, tests) a local path clones; ext:: never does
    expect((await prepare([{ url: origin }], { allowLocalRepos: true })).result.ok).toBe(true);
    expect(
      (await prepare([{ url: `ext::sh -c touch% ${root}/marker-ext` }], { allowLocalRepos: true }))
        .result.ok,
    ).toBe(false);
    expect(existsSync(path.join(root, "marker-ext"))).toBe(false);
  });

  it("artifacts/ made a symlink to a host directory uploads nothing from it", async () => {
    const ws = path.join(root, "artifacts-link");
    mkdirSync(ws);
    const outside = path.join(root, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "stolen.txt"), CANARY);
    symlinkSync(outside, path.join(ws, "artifacts"));
    uploads = [];
    const backend = processBackend(ws, baselineEnv());
    await artifactCollector({ baseUrl })({
      assignment: assignment([]),
      prepared: { workspace: ws, env: {}, repos: [], backend } as never,
      emit: () => {},
      signal: new AbortController().signal,
      authorization: "Bearer x",
    });
    await backend.dispose();
    expect(uploads.join("")).not.toContain(CANARY);
  });

  it("a rule file (AGENTS.md) that is a symlink out of the workspace is not read into the model's prompt", async () => {
    const ws = path.join(root, "rules-link");
    mkdirSync(path.join(ws, "repo"), { recursive: true });
    symlinkSync(hostFile, path.join(ws, "repo", "AGENTS.md"));
    symlinkSync(hostFile, path.join(ws, "CLAUDE.md"));
    const { text } = await buildSystemPrompt({ workspace: ws, config: {} } as never);
    expect(text).not.toContain(CANARY);
  });
});
