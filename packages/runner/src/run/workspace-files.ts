import { existsSync, lstatSync, readdirSync } from "node:fs";
import path from "node:path";
import { readInside } from "../backends/confined-fs.ts";

/**
 * What a run without repositories keeps of its workspace: the files it created or changed, as a
 * repository run would commit them. Its folders of dependencies, caches and virtual environments
 * are left out (what a `.gitignore` usually names), and so are repositories (their changes go
 * through git: `artifacts.ts`), `artifacts/` (uploaded as it is), links and anything but regular
 * files. At most `files` files and `bytes` bytes in all are kept, in path order.
 */
export const KEEP_LIMITS = { files: 50, bytes: 10 * 1024 * 1024 };

/** Folders never looked into: version control, dependencies, caches, virtual environments. */
export const SKIPPED_DIRS = new Set([
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  ".npm",
  ".pnpm-store",
  ".yarn",
  "bower_components",
  ".venv",
  "venv",
  "__pycache__",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  ".tox",
  ".cache",
  ".gradle",
  ".m2",
]);

/** Files looked at, at most: a workspace holding more is not walked further. */
const MAX_WALKED = 20_000;

/** Each regular file of the workspace (relative path) with its size and change time. */
export type WorkspaceSnapshot = Map<string, string>;

/** The workspace's files as they are now (after preparation: clones, setup commands). */
export function snapshotWorkspace(workspace: string): WorkspaceSnapshot {
  const out: WorkspaceSnapshot = new Map();
  walk(workspace, workspace, out);
  return out;
}

/** The files created or changed since `before`, relative to the workspace, in path order. */
export function changedFiles(workspace: string, before: WorkspaceSnapshot): string[] {
  // the agent made the workspace a repository: git keeps its changes
  if (existsSync(path.join(workspace, ".git"))) return [];
  const now = snapshotWorkspace(workspace);
  return [...now]
    .filter(([rel, sig]) => before.get(rel) !== sig)
    .map(([rel]) => rel)
    .sort();
}

export type KeepInput = {
  workspace: string;
  before: WorkspaceSnapshot;
  /** secret values replaced: a file whose text it changes holds one */
  redact: (text: string) => string;
  warn: (message: string) => void;
  upload: (bytes: Uint8Array<ArrayBuffer>, query: Record<string, string>) => Promise<unknown>;
};

/**
 * Uploads the files created or changed since `before`, in path order, within `KEEP_LIMITS`; one
 * warning names those left out. A file is sent as it is (redacting it would change its bytes), so
 * one holding a secret's value is not sent at all.
 */
export async function keepChangedFiles({ workspace, before, redact, warn, upload }: KeepInput) {
  const left: string[] = [];
  let kept = 0;
  let bytes = 0;
  for (const rel of changedFiles(workspace, before)) {
    let read: ReturnType<typeof readInside>;
    try {
      read = readInside(workspace, path.join(workspace, rel), KEEP_LIMITS.bytes - bytes);
    } catch {
      continue; // removed, or swapped for a link, since the walk
    }
    if (!read.bytes || kept >= KEEP_LIMITS.files) {
      left.push(rel);
      continue;
    }
    const text = read.bytes.toString("utf8");
    if (redact(text) !== text) {
      warn(`${rel} holds the value of one of the run's secrets; it was not kept`);
      continue;
    }
    kept++;
    bytes += read.size;
    const description = before.has(rel) ? "Changed by the run" : "Created by the run";
    const query = { filename: path.basename(rel), filepath: rel, description };
    await upload(new Uint8Array(read.bytes), query);
  }
  if (!left.length) return;
  const more = left.length > 10 ? ` and ${left.length - 10} more` : "";
  const mib = KEEP_LIMITS.bytes / 1024 / 1024;
  const limits = `at most ${KEEP_LIMITS.files} files, ${mib} MiB in all`;
  warn(
    `Kept ${kept} of the files the run created or changed (${limits}); not kept: ` +
      `${left.slice(0, 10).join(", ")}${more}. ` +
      "Files the agent writes under artifacts/ are always kept.",
  );
}

function walk(workspace: string, dir: string, out: WorkspaceSnapshot) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (out.size >= MAX_WALKED) return;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const kept = dir === workspace ? entry.name !== "artifacts" : true;
      const repository = existsSync(path.join(full, ".git"));
      if (kept && !SKIPPED_DIRS.has(entry.name) && !repository) walk(workspace, full, out);
    } else if (entry.isFile()) {
      const st = lstatSync(full, { bigint: true, throwIfNoEntry: false });
      const signature = `${st?.size}:${st?.mtimeNs}:${st?.ino}`;
      if (st?.isFile()) out.set(path.relative(workspace, full), signature);
    }
  }
}
