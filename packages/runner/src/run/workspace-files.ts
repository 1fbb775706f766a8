import { existsSync, lstatSync, readdirSync } from "node:fs";
import path from "node:path";

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
  ".git", ".hg", ".svn", "node_modules", ".npm", ".pnpm-store", ".yarn", "bower_components", ".venv", "venv",
  "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".cache", ".gradle", ".m2",
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
  if (existsSync(path.join(workspace, ".git"))) return []; // the agent made it a repository: git keeps it
  const now = snapshotWorkspace(workspace);
  return [...now].filter(([rel, sig]) => before.get(rel) !== sig).map(([rel]) => rel).sort();
}

function walk(workspace: string, dir: string, out: WorkspaceSnapshot) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (out.size >= MAX_WALKED) return;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const kept = dir === workspace ? entry.name !== "artifacts" : true;
      if (kept && !SKIPPED_DIRS.has(entry.name) && !existsSync(path.join(full, ".git"))) walk(workspace, full, out);
    } else if (entry.isFile()) {
      const st = lstatSync(full, { bigint: true, throwIfNoEntry: false });
      if (st?.isFile()) out.set(path.relative(workspace, full), `${st.size}:${st.mtimeNs}:${st.ino}`);
    }
  }
}
