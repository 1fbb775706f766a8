// A run without repositories keeps the files its agent created or changed in the workspace: which
// files count (workspace-files.ts), and what the artifact collector uploads of them, within bounds.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskAssignment } from "@ambit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processBackend } from "../../../packages/runner/src/backends/process.ts";
import type { HarnessEvent } from "../../../packages/runner/src/harness/types.ts";
import { artifactCollector } from "../../../packages/runner/src/run/artifacts.ts";
import { prepareRun } from "../../../packages/runner/src/run/prepare.ts";
import {
  changedFiles,
  KEEP_LIMITS,
  snapshotWorkspace,
  type WorkspaceSnapshot,
} from "../../../packages/runner/src/run/workspace-files.ts";

let root = "";
let server: Server;
let baseUrl = "";
type Upload = { query: Record<string, string>; body: string };
let uploads: Upload[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "ambit-ws-files-"));
  // the platform's file upload endpoint: records what the runner sends
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const query = Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
      uploads.push({ query, body });
      const created = { artifact_type: "FILE", data: { filepath: query.filepath } };
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(created));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh workspace holding `files` (relative path → content), as preparation left it. */
function workspaceWith(files: Record<string, string> = {}) {
  const ws = path.join(root, `ws-${++n}`);
  mkdirSync(path.join(ws, "artifacts"), { recursive: true });
  for (const [rel, content] of Object.entries(files)) write(ws, rel, content);
  return ws;
}
function write(ws: string, rel: string, content: string) {
  mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  writeFileSync(path.join(ws, rel), content);
}

const assignment = TaskAssignment.parse({
  task_id: "run_ws",
  run_id: "run_ws",
  execution_id: 1,
  task: {
    id: "run_ws",
    title: "t",
    prompt: "p",
    created_at: new Date().toISOString(),
    agent_config: {},
    team_id: "team_1",
  },
  session: { path: "/api/v1/agent/runs/run_ws/session", token: "x" },
  env_vars: {},
});

/** Runs the artifact collector on `ws` as after a harness; answers the uploads and the warnings. */
async function collect(ws: string, before: WorkspaceSnapshot | undefined, secret?: string) {
  uploads = [];
  const backend = processBackend(ws, {});
  const events: HarnessEvent[] = [];
  const redact = (s: string) => (secret ? s.replaceAll(secret, "[REDACTED:S]") : s);
  await artifactCollector({ baseUrl })({
    assignment,
    prepared: { workspace: ws, env: {}, repos: [], backend, before },
    redact,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    authorization: "Bearer x",
  });
  await backend.dispose();
  const warnings = events.flatMap((e) => (e.type === "error" ? [String(e.payload.message)] : []));
  const sorted = [...uploads].sort((a, b) => a.query.filepath.localeCompare(b.query.filepath));
  return { uploads: sorted, warnings };
}

describe("the files a run without repositories created or changed", () => {
  it("are the new and changed regular files, not dependencies, caches, repos, artifacts/", () => {
    const ws = workspaceWith({ "same.txt": "same\n", "edited.txt": "old\n", "src/kept.ts": "x\n" });
    const before = snapshotWorkspace(ws);
    write(ws, "hello.txt", "hello\n");
    write(ws, "src/deep/new.ts", "new\n");
    write(ws, "edited.txt", "new!\n");
    utimesSync(path.join(ws, "edited.txt"), new Date(), new Date(Date.now() + 5_000));
    write(ws, "node_modules/dep/index.js", "dep\n");
    write(ws, "pkg/__pycache__/m.pyc", "bytecode");
    write(ws, ".venv/bin/python", "venv\n");
    write(ws, "clone/.git/HEAD", "ref: refs/heads/main\n");
    write(ws, "clone/README.md", "a repository the agent cloned: git keeps it\n");
    write(ws, "artifacts/report.md", "uploaded from artifacts/\n");
    symlinkSync("/etc/hostname", path.join(ws, "link.txt"));
    expect(changedFiles(ws, before)).toEqual(["edited.txt", "hello.txt", "src/deep/new.ts"]);
  });

  it("are counted from the workspace as preparation left it, not the setup commands'", async () => {
    const ws = path.join(root, `ws-${++n}`);
    const environment = { uid: "env_1", name: "e", setup_commands: ["echo setup > setup.txt"] };
    const prep = await prepareRun({
      assignment: TaskAssignment.parse({ ...assignment, environment }),
      workspace: ws,
      emit: () => {},
      signal: new AbortController().signal,
      makeBackend: async (w, env) => processBackend(w, env),
    });
    expect(prep.ok).toBe(true);
    if (!prep.ok) return;
    await prep.prepared.backend.dispose();
    expect([...prep.prepared.before!.keys()]).toEqual(["setup.txt"]);
    write(ws, "hello.txt", "hello\n");
    expect(changedFiles(ws, prep.prepared.before!)).toEqual(["hello.txt"]);
  });

  it("are none once the agent made the workspace itself a repository (its diff is kept)", () => {
    const ws = workspaceWith();
    const before = snapshotWorkspace(ws);
    write(ws, "hello.txt", "hello\n");
    write(ws, ".git/HEAD", "ref: refs/heads/main\n");
    expect(changedFiles(ws, before)).toEqual([]);
  });

  it("are uploaded as FILE artifacts, path and content, only by a run with a snapshot", async () => {
    const ws = workspaceWith({ "setup.txt": "from a setup command\n" });
    const before = snapshotWorkspace(ws);
    write(ws, "hello.txt", "hello\n");
    write(ws, "docs/notes.md", "# notes\n");
    const { uploads: up, warnings } = await collect(ws, before);
    expect(warnings).toEqual([]);
    const sent = up.map((u) => [u.query.filepath, u.query.filename, u.query.description, u.body]);
    expect(sent).toEqual([
      ["docs/notes.md", "notes.md", "Created by the run", "# notes\n"],
      ["hello.txt", "hello.txt", "Created by the run", "hello\n"],
    ]);
    // a run with repositories (or a LOCAL run) has no snapshot: none of its workspace is uploaded
    expect((await collect(ws, undefined)).uploads).toEqual([]);
  });

  it("keeps at most KEEP_LIMITS.files files, and says which it left out", async () => {
    const ws = workspaceWith();
    const before = snapshotWorkspace(ws);
    const count = KEEP_LIMITS.files + 3;
    for (let i = 0; i < count; i++) write(ws, `out/f${String(i).padStart(3, "0")}.txt`, `${i}\n`);
    const { uploads: up, warnings } = await collect(ws, before);
    expect(up).toHaveLength(KEEP_LIMITS.files);
    expect(warnings).toHaveLength(1);
    const leftOut = "not kept: out/f050.txt, out/f051.txt, out/f052.txt\\.";
    expect(warnings[0]).toMatch(new RegExp(`^Kept ${KEEP_LIMITS.files} of the files .*${leftOut}`));
  });

  it("keeps at most KEEP_LIMITS.bytes: a file past it is left out, smaller ones fit", async () => {
    const ws = workspaceWith();
    const before = snapshotWorkspace(ws);
    write(ws, "a-big.bin", "x".repeat(KEEP_LIMITS.bytes - 10));
    write(ws, "b-over.bin", "y".repeat(20));
    write(ws, "c-small.txt", "fits\n");
    const { uploads: up, warnings } = await collect(ws, before);
    expect(up.map((u) => u.query.filepath)).toEqual(["a-big.bin", "c-small.txt"]);
    expect(warnings.join("\n")).toMatch(/not kept: b-over\.bin\./);
  });

  it("never uploads a file holding a secret's value", async () => {
    const ws = workspaceWith();
    const before = snapshotWorkspace(ws);
    write(ws, ".env", "OPENAI_API_KEY=sk-ws-files-secret\n");
    write(ws, "hello.txt", "hello\n");
    const { uploads: up, warnings } = await collect(ws, before, "sk-ws-files-secret");
    expect(up.map((u) => u.query.filepath)).toEqual(["hello.txt"]);
    expect(warnings).toEqual([".env holds the value of one of the run's secrets; it was not kept"]);
    expect(JSON.stringify(up)).not.toContain("sk-ws-files-secret");
  });
});
