// A repository run's changes as a diff artifact: `<repo>.diff` (text/x-diff) against the commit
// the run started from — the agent's own commits and what it left uncommitted, with a pull request
// too — and a diff over the cap cut at a line with a closing note.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskAssignment } from "@ambit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processBackend } from "../../../packages/runner/src/backends/process.ts";
import type { HarnessEvent } from "../../../packages/runner/src/harness/types.ts";
import { artifactCollector } from "../../../packages/runner/src/run/artifacts.ts";
import {
  capDiff,
  DIFF_TRUNCATED,
  diffRevisions,
  EMPTY_TREE,
} from "../../../packages/runner/src/run/diff-artifact.ts";
import { prepareRun } from "../../../packages/runner/src/run/prepare.ts";
import { startFakeGitHub } from "../../fakes/github.ts";

type Upload = { path: string; query: URLSearchParams; type?: string; body: string };
const TOKEN = "ghp_fake_diff_token";
let root = "";
let server: Server;
let baseUrl = "";
let uploads: Upload[] = [];
let gh: Awaited<ReturnType<typeof startFakeGitHub>>;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "ambit-diff-"));
  gh = await startFakeGitHub(TOKEN);
  // the platform's artifact endpoints: record what the runner sends
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      uploads.push({
        path: url.pathname,
        query: url.searchParams,
        type: req.headers["content-type"],
        body,
      });
      const data = { file_name: url.searchParams.get("filename") };
      res
        .writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ artifact_type: "FILE", data }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await gh.stop();
  rmSync(root, { recursive: true, force: true });
});

const assignment = (repo: string, secrets: { name: string; value: string }[] = []) =>
  TaskAssignment.parse({
    task_id: "run_diff",
    run_id: "run_diff",
    execution_id: 1,
    task: {
      id: "run_diff",
      title: "Polish",
      prompt: "p",
      created_at: new Date().toISOString(),
      agent_config: {},
      team_id: "team_1",
    },
    session: { path: "/api/v1/agent/runs/run_diff/session", token: "x" },
    env_vars: {},
    environment: { uid: "env_1", name: "e", repositories: [{ url: repo }] },
    secrets,
  });

const agentGit = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: "0",
      GIT_AUTHOR_NAME: "a",
      GIT_AUTHOR_EMAIL: "a@a",
      GIT_COMMITTER_NAME: "a",
      GIT_COMMITTER_EMAIL: "a@a",
    },
  });

let n = 0;
/** Prepares a run of `repo`, lets `agent` change its clone, then collects the artifacts. */
async function runWith(a: TaskAssignment, agent: (dir: string) => void) {
  uploads = [];
  const events: HarnessEvent[] = [];
  const emit = (e: HarnessEvent) => events.push(e);
  const signal = new AbortController().signal;
  const prep = await prepareRun({
    assignment: a,
    workspace: path.join(root, `ws-${++n}`),
    emit,
    signal,
    allowLocalRepos: true,
    makeBackend: async (ws, env) => processBackend(ws, env),
  });
  if (!prep.ok) throw new Error(JSON.stringify(prep.failure));
  const [repo] = prep.prepared.repos;
  agent(repo!.dir);
  const collect = artifactCollector({
    baseUrl,
    githubApiUrl: gh.apiUrl,
    githubUrl: gh.url,
    allowLocalRepos: true,
  });
  const reported = await collect({
    assignment: a,
    prepared: prep.prepared,
    emit,
    signal,
    authorization: "Bearer x",
  });
  await prep.prepared.backend.dispose();
  return { reported, events, diffs: uploads.filter((u) => u.path.endsWith("/files")) };
}

describe("the diff artifact of a repository run", () => {
  it("is <repo>.diff against where the run started: the agent's commits and its uncommitted changes", async () => {
    // a repository on this disk (pushed to, not GitHub): its bare copy is named origin.git
    const { bare } = gh.createRepo("acme/origin");
    const { diffs, events } = await runWith(assignment(bare), (dir) => {
      writeFileSync(path.join(dir, "CHANGELOG.md"), "committed by the agent\n");
      agentGit(dir, "add", "-A");
      agentGit(dir, "commit", "--quiet", "-m", "agent's own commit");
      writeFileSync(path.join(dir, "README.md"), "hello\nleft uncommitted\n");
    });
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(diffs).toHaveLength(1);
    const [d] = diffs;
    expect(d!.query.get("filename")).toBe("origin.diff");
    expect(d!.type).toBe("text/x-diff");
    expect(d!.query.get("title")).toBe("Changes");
    expect(d!.body).toContain("+++ b/CHANGELOG.md");
    expect(d!.body).toContain("+committed by the agent");
    expect(d!.body).toContain("+++ b/README.md");
    expect(d!.body).toContain("+left uncommitted");
    expect(d!.body).not.toContain("-hello"); // the base's line stays: only the run's change shows
  });

  it("goes along with the pull request of a GitHub repository", async () => {
    gh.createRepo("acme/widgets");
    const a = assignment("acme/widgets", [{ name: "GITHUB_TOKEN", value: TOKEN }]);
    process.env.AMBIT_GITHUB_URL = gh.url;
    try {
      const { reported, diffs } = await runWith(a, (dir) =>
        writeFileSync(path.join(dir, "README.md"), "hello, polished\n"),
      );
      expect(reported.map((r) => r.artifact_type)).toEqual(["PULL_REQUEST", "FILE"]);
      expect(diffs).toHaveLength(1);
      expect(diffs[0]!.query.get("filename")).toBe("widgets.diff");
      expect(diffs[0]!.query.get("description")).toContain("pull request");
      expect(diffs[0]!.body).toContain("+hello, polished");
    } finally {
      delete process.env.AMBIT_GITHUB_URL;
    }
  });

  it("over the cap is cut after a whole line and says it was truncated", async () => {
    const { bare } = gh.createRepo("acme/big");
    const line = `${"x".repeat(99)}\n`;
    const { diffs } = await runWith(assignment(bare), (dir) =>
      writeFileSync(path.join(dir, "big.txt"), line.repeat(30_000)),
    );
    const body = diffs[0]!.body;
    expect(Buffer.byteLength(body)).toBeLessThan(2 * 1024 * 1024 + 300);
    expect(body.trimEnd().split("\n").at(-1)).toMatch(new RegExp(`^${DIFF_TRUNCATED}`));
    expect(body.split("\n").at(-3)).toBe(`+${"x".repeat(99)}`);
    expect(diffs[0]!.query.get("title")).toBe("Changes (truncated)");
  });
});

describe("capDiff and diffRevisions", () => {
  it("keeps a small diff whole and cuts a large one at a line, multi-byte text included", () => {
    expect(capDiff("a\nb\n", 10)).toEqual({ text: "a\nb\n", truncated: false });
    const cut = capDiff("é1\né2\né3\n", 8);
    expect(cut.truncated).toBe(true);
    expect(cut.text.startsWith("é1\né2\n")).toBe(true);
    expect(cut.text).not.toContain("é3");
  });

  it("diffs from the run's start through the merge base, else from the commit before the runner's", () => {
    const sha = "a".repeat(40);
    const before = "b".repeat(40);
    expect(diffRevisions(sha, before)).toEqual([`${sha}...HEAD`]);
    expect(diffRevisions(undefined, before)).toEqual([before, "HEAD"]);
    expect(diffRevisions(undefined, "")).toEqual([EMPTY_TREE, "HEAD"]);
    expect(diffRevisions("--output=/etc/x", "")).toEqual([EMPTY_TREE, "HEAD"]);
  });
});
