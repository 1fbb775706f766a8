// A checkpoint of a run's workspace taken and brought back into a fresh one: a cloned repository
// at the agent's branch and HEAD (its own commit included) with its uncommitted changes (an
// edit, a new file, a deletion) uncommitted again; a workspace without repositories file by file;
// files holding a secret value of the run left out, and replaced in the conversation; the agent's
// index and working tree untouched.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeCheckpoint } from "@ambit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processBackend } from "../../../packages/runner/src/backends/process.ts";
import { takeCheckpoint } from "../../../packages/runner/src/run/checkpoint.ts";
import { restoreCheckpoint } from "../../../packages/runner/src/run/restore.ts";

let root = "";
let origin = "";
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};
const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, env: GIT_ENV }).toString().trim();

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "ambit-checkpoint-"));
  origin = path.join(root, "origin");
  mkdirSync(origin);
  sh(origin, "init", "--quiet", "-b", "main");
  writeFileSync(path.join(origin, "README.md"), "hello\n");
  writeFileSync(path.join(origin, "old.txt"), "to be deleted\n");
  writeFileSync(path.join(origin, ".gitignore"), "node_modules/\n");
  sh(origin, "add", "-A");
  sh(origin, "commit", "--quiet", "-m", "init");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A workspace with `origin` cloned as `repo`, as prepareRun leaves it. */
function workspaceWithClone(name: string) {
  const ws = path.join(root, name);
  mkdirSync(ws);
  sh(ws, "clone", "--quiet", origin, "repo");
  const dir = path.join(ws, "repo");
  return { ws, dir, base: sh(dir, "rev-parse", "HEAD") };
}

describe("workspace checkpoints", () => {
  it("restores a repository's branch, commits and uncommitted changes into a fresh clone, and leaves out secret files", async () => {
    const a = workspaceWithClone("a");
    sh(a.dir, "checkout", "--quiet", "-b", "feature");
    writeFileSync(path.join(a.dir, "committed.txt"), "the agent's commit\n");
    sh(a.dir, "add", "committed.txt");
    sh(a.dir, "commit", "--quiet", "-m", "agent commit");
    const head = sh(a.dir, "rev-parse", "HEAD");
    writeFileSync(path.join(a.dir, "README.md"), "hello\nchanged\n");
    writeFileSync(path.join(a.dir, "turn1.txt"), "written in turn 1\n");
    rmSync(path.join(a.dir, "old.txt"));
    writeFileSync(path.join(a.dir, "leak.txt"), "token=sk-secret-value-123\n");
    mkdirSync(path.join(a.dir, "node_modules"));
    writeFileSync(path.join(a.dir, "node_modules", "x.js"), "ignored\n");
    sh(a.dir, "add", "README.md"); // the agent's index: staged README only
    const statusBefore = sh(a.dir, "status", "--porcelain");

    const backend = processBackend(a.ws, { PATH: process.env.PATH ?? "" });
    const cp = await takeCheckpoint({
      workspace: a.ws,
      repos: [{ dir: a.dir, base: a.base }],
      backend,
      executionId: 1,
      reason: "turn",
      secrets: ["sk-secret-value-123", "short"],
      conversation: { harness: "ambit", state: [{ role: "user", text: "hi" }] },
    });
    await backend.dispose();
    expect(sh(a.dir, "status", "--porcelain")).toBe(statusBefore);
    expect(sh(a.dir, "for-each-ref", "refs/ambit")).toBe("");
    const [repo] = cp.header.repos;
    expect(repo).toMatchObject({ name: "repo", base: a.base, head, branch: "feature" });
    expect(repo.excluded).toEqual(["leak.txt"]);
    expect(decodeCheckpoint(cp.bytes).ok).toBe(true);

    const b = workspaceWithClone("b");
    const backend2 = processBackend(b.ws, { PATH: process.env.PATH ?? "" });
    const restored = await restoreCheckpoint({
      workspace: b.ws,
      backend: backend2,
      archive: cp.bytes,
    });
    await backend2.dispose();
    expect(restored.failed).toEqual([]);
    expect(restored.restored).toEqual(["repo"]);
    expect(restored.conversation).toEqual({
      harness: "ambit",
      state: [{ role: "user", text: "hi" }],
    });
    expect(sh(b.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("feature");
    expect(sh(b.dir, "rev-parse", "HEAD")).toBe(head);
    expect(readFileSync(path.join(b.dir, "turn1.txt"), "utf8")).toBe("written in turn 1\n");
    expect(readFileSync(path.join(b.dir, "README.md"), "utf8")).toBe("hello\nchanged\n");
    expect(existsSync(path.join(b.dir, "old.txt"))).toBe(false);
    expect(existsSync(path.join(b.dir, "leak.txt"))).toBe(false);
    expect(existsSync(path.join(b.dir, "node_modules"))).toBe(false);
    // uncommitted again: what the agent left is still a change to its HEAD
    const status = execFileSync("git", ["status", "--porcelain"], { cwd: b.dir }).toString();
    expect(status.trimEnd().split("\n").sort()).toEqual([
      " D old.txt",
      " M README.md",
      "?? turn1.txt",
    ]);
  });

  it("a workspace without repositories comes back file by file, with a repository the agent made in it", async () => {
    const ws = path.join(root, "plain");
    mkdirSync(path.join(ws, "notes"), { recursive: true });
    writeFileSync(path.join(ws, "notes", "a.md"), "# A\n");
    mkdirSync(path.join(ws, "made"));
    sh(path.join(ws, "made"), "init", "--quiet", "-b", "main");
    writeFileSync(path.join(ws, "made", "x.txt"), "x\n");
    const backend = processBackend(ws, { PATH: process.env.PATH ?? "" });
    const cp = await takeCheckpoint({
      workspace: ws,
      repos: [],
      backend,
      executionId: 2,
      reason: "ended",
      secrets: [],
      conversation: null,
    });
    await backend.dispose();
    expect(cp.header.repos.map((r) => r.name).sort()).toEqual([".", "made"]);
    expect(cp.header.conversation).toBeNull();

    const fresh = path.join(root, "plain-2");
    mkdirSync(fresh);
    const backend2 = processBackend(fresh, { PATH: process.env.PATH ?? "" });
    const restored = await restoreCheckpoint({
      workspace: fresh,
      backend: backend2,
      archive: cp.bytes,
    });
    await backend2.dispose();
    expect(restored.failed).toEqual([]);
    expect(readFileSync(path.join(fresh, "notes", "a.md"), "utf8")).toBe("# A\n");
    expect(readFileSync(path.join(fresh, "made", "x.txt"), "utf8")).toBe("x\n");
    expect(existsSync(path.join(fresh, ".git"))).toBe(false);
  });

  it("the conversation it carries has the run's secret values replaced, as they are and JSON-escaped (a vendor CLI's session lines)", async () => {
    const ws = path.join(root, "conv");
    mkdirSync(ws);
    const backend = processBackend(ws, { PATH: process.env.PATH ?? "" });
    const quoted = 'pa"ss\\word-9';
    const line = JSON.stringify({ tool_result: `token=sk-secret-value-123 pw=${quoted}` });
    const cp = await takeCheckpoint({
      workspace: ws,
      repos: [],
      backend,
      executionId: 1,
      reason: "ended",
      secrets: ["sk-secret-value-123", quoted, "short"],
      conversation: {
        harness: "claude",
        state: { session_id: "s1", files: [{ path: "x.jsonl", content: `${line}\nshort\n` }] },
      },
    });
    await backend.dispose();
    const decoded = decodeCheckpoint(cp.bytes);
    if (!decoded.ok) throw new Error(decoded.why);
    const text = new TextDecoder().decode(decoded.conversation!);
    expect(text).not.toContain("sk-secret-value-123");
    expect(text).not.toContain("word-9");
    const state = JSON.parse(text);
    expect(state.session_id).toBe("s1");
    const [first, second] = state.files[0].content.split("\n");
    expect(JSON.parse(first)).toEqual({
      tool_result: "token=[redacted secret] pw=[redacted secret]",
    });
    expect(second).toBe("short");
  });
});
