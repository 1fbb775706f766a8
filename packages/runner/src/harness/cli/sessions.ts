import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { HarnessContext } from "../types.ts";
import type { CliSpec } from "./types.ts";

// A vendor CLI's session in a run's checkpoints: the CLI keeps its conversation in files of its
// own state folder (Claude Code's `projects/<cwd>/<id>.jsonl`, Codex's `sessions/…/rollout-…-<id>
// .jsonl`), which neither a new execution (a fresh workspace path) nor another host has. After
// each CLI turn those files go into the run's conversation (the checkpoint takes the secret values
// of the run out of it, checkpoint.ts); a resumed execution writes them back where the CLI looks
// and starts the CLI with its resume flag.

/** Largest session the checkpoint carries: a longer one is left out (the next starts afresh). */
export const MAX_SESSION_BYTES = 8 * 1024 * 1024;

/** A CLI's session as the checkpoint's conversation holds it. */
export type SavedSession = {
  session_id: string;
  /** each file's path relative to the CLI's state folder, and its text */
  files: { path: string; content: string }[];
};

/** Where a CLI keeps its sessions, and how to find and place one (a `CliSpec.session`). */
export interface CliSessionStore {
  /** the CLI's state folder for this run (its config directory) */
  root(ctx: HarnessContext): string;
  /** the session's files, relative to `root` (none: not found) */
  find(root: string, id: string): string[];
  /** where a saved file goes in this execution, relative to `root` (default: where it was) */
  place?(file: string, ctx: HarnessContext): string;
}

/** The run's home as its processes see it (the process backend passes the runner's on). */
const home = (ctx: HarnessContext) => ctx.env.HOME ?? process.env.HOME ?? homedir();

/** Claude Code's project folder name for a working directory: every other character a `-`. */
export const claudeProject = (cwd: string) => cwd.replace(/[^a-zA-Z0-9]/g, "-");

export const claudeSessions: CliSessionStore = {
  root: (ctx) => ctx.env.CLAUDE_CONFIG_DIR || path.join(home(ctx), ".claude"),
  find(root, id) {
    const projects = path.join(root, "projects");
    return list(projects)
      .map((p) => path.join("projects", p, `${id}.jsonl`))
      .filter((f) => existsSync(path.join(root, f)));
  },
  // a new execution works in another folder: the session goes to that folder's project
  place: (file, ctx) => path.join("projects", claudeProject(ctx.workspace), path.basename(file)),
};

export const codexSessions: CliSessionStore = {
  root: (ctx) => ctx.env.CODEX_HOME || path.join(home(ctx), ".codex"),
  // sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl; `exec resume <id>` finds it by name
  find(root, id) {
    const found: string[] = [];
    const walk = (rel: string, depth: number) => {
      for (const name of list(path.join(root, rel))) {
        const f = path.join(rel, name);
        if (depth < 3) walk(f, depth + 1);
        else if (name.startsWith("rollout-") && name.endsWith(`${id}.jsonl`)) found.push(f);
      }
    };
    walk("sessions", 0);
    return found;
  },
};

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Only the process backend run as the runner's own user is covered: a container's files are
 * gone with it, and an agent user's home is its own.
 */
const covered = (ctx: HarnessContext) => ctx.backend.kind === "process" && !ctx.backend.owner;

/** Keeps the CLI's session `id` as the run's conversation (its next checkpoint carries it). */
export function saveSession(spec: CliSpec, ctx: HarnessContext, id: string | undefined) {
  if (!spec.session || !id || !ctx.saveConversation || !covered(ctx)) return;
  const root = spec.session.root(ctx);
  const names = spec.session.find(root, id);
  if (!names.length) return;
  const bytes = names.reduce((n, f) => n + statSync(path.join(root, f)).size, 0);
  if (bytes > MAX_SESSION_BYTES) {
    ctx.emit({
      type: "log",
      payload: {
        level: "warning",
        source: "runner",
        message: `The ${spec.type} session (${Math.round(bytes / 1048576)} MiB) is larger than checkpoints carry (${MAX_SESSION_BYTES / 1048576} MiB): a resumed execution starts its conversation afresh`,
      },
    });
    return;
  }
  const files = names.map((f) => ({ path: f, content: readFileSync(path.join(root, f), "utf8") }));
  ctx.saveConversation({ session_id: id, files } satisfies SavedSession);
}

/**
 * Writes back the session a resumed execution's checkpoint holds for this CLI; its id, to start
 * the CLI with its resume flag (undefined: none, start from the prompt).
 */
export function restoreSession(spec: CliSpec, ctx: HarnessContext): string | undefined {
  const saved = ctx.resume?.conversation;
  if (!spec.session || saved?.harness !== spec.type || !covered(ctx)) return undefined;
  const state = saved.state as Partial<SavedSession> | null;
  if (typeof state?.session_id !== "string" || !Array.isArray(state.files)) return undefined;
  const root = spec.session.root(ctx);
  for (const f of state.files) {
    const rel = path.normalize(spec.session.place?.(f.path, ctx) ?? f.path);
    // a path of the checkpoint never leaves the CLI's state folder
    if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, f.content, { mode: 0o600 });
  }
  ctx.saveConversation?.(state);
  return state.session_id;
}
