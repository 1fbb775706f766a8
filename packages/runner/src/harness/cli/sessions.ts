import { createHash, randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fchownSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { HarnessContext } from "../types.ts";
import { providerBaseUrl } from "./common.ts";
import type { CliSpec } from "./types.ts";

// A vendor CLI's session in a run's checkpoints: the CLI keeps its conversation in files of its
// own state folder (Claude Code's `projects/<cwd>/<id>.jsonl`, Codex's `sessions/…/rollout-…-<id>
// .jsonl`, Gemini CLI's `tmp/<project>/chats/session-…-<id>.jsonl`) or in a database of its own
// (OpenCode's, carried by its export and import commands), which neither a new execution (a fresh
// workspace path) nor another host has. After each CLI turn the session goes into the run's
// conversation (the checkpoint takes the secret values of the run out of it, checkpoint.ts); a
// resumed execution puts it back where the CLI looks and starts the CLI with its resume flag.

/** Largest session the checkpoint carries: a longer one is left out (the next starts afresh). */
export const MAX_SESSION_BYTES = 8 * 1024 * 1024;

/** A CLI's session as the checkpoint's conversation holds it. */
export type SavedSession = {
  session_id: string;
  /** each file's path relative to the CLI's state folder, and its text */
  files: { path: string; content: string }[];
};

/**
 * Where a CLI keeps its sessions in files, and how to find and place one (a `CliSpec.session`).
 * In a container the CLI's state folder is moved into the run's private directory (`inContainer`),
 * which the runner reads and writes at the same path: the container's own is out of its reach.
 */
export interface CliSessionStore {
  kind: "files";
  /** the CLI's state folder for this run (its config directory) */
  root(ctx: HarnessContext): string;
  /** the session's files, relative to `root` (none: not found) */
  find(root: string, id: string): string[];
  /** where a saved file goes in this execution, relative to `root` (default: where it was) */
  place?(file: string, ctx: HarnessContext, root: string): string;
  /** files besides the session's that the CLI needs to find it here: path in `root` → content */
  markers?(ctx: HarnessContext, root: string): Record<string, string>;
  /** in a container: the variables that put the CLI's state folder where `root` says */
  containerEnv(ctx: HarnessContext): Record<string, string>;
}

/**
 * A CLI that keeps its sessions in a database of its own (OpenCode's SQLite, every session of
 * the user's in one file): its own export and import commands carry one, run where the CLI runs
 * (any backend, any user).
 */
export interface CliSessionCommands {
  kind: "commands";
  /** prints the session as one JSON document on stdout */
  exportArgs(id: string): string[];
  /** adds the session of a JSON file (its path) to the CLI's own */
  importArgs(file: string): string[];
  /** the exported document made right for this execution (e.g. its working directory) */
  adapt?(doc: Record<string, unknown>, ctx: HarnessContext): Record<string, unknown>;
}

/** The run's home as its processes see it (the process backend passes the runner's on). */
const home = (ctx: HarnessContext) => ctx.env.HOME ?? process.env.HOME ?? homedir();

/** A container's home is gone with it: the CLI's state folder is in the private directory. */
const inContainer = (ctx: HarnessContext) => ctx.backend.kind === "docker";
const privateState = (ctx: HarnessContext, name: string) => path.join(ctx.backend.privateDir, name);

/** Claude Code's project folder name for a working directory: every other character a `-`. */
export const claudeProject = (cwd: string) => cwd.replace(/[^a-zA-Z0-9]/g, "-");

export const claudeSessions: CliSessionStore = {
  kind: "files",
  root: (ctx) =>
    inContainer(ctx)
      ? privateState(ctx, "claude")
      : ctx.env.CLAUDE_CONFIG_DIR || path.join(home(ctx), ".claude"),
  find(root, id) {
    const projects = path.join(root, "projects");
    return list(projects)
      .map((p) => path.join("projects", p, `${id}.jsonl`))
      .filter((f) => existsSync(path.join(root, f)));
  },
  // a new execution works in another folder: the session goes to that folder's project
  place: (file, ctx) => path.join("projects", claudeProject(ctx.workspace), path.basename(file)),
  containerEnv: (ctx) => ({ CLAUDE_CONFIG_DIR: privateState(ctx, "claude") }),
};

export const codexSessions: CliSessionStore = {
  kind: "files",
  root: (ctx) =>
    inContainer(ctx)
      ? privateState(ctx, "codex")
      : ctx.env.CODEX_HOME || path.join(home(ctx), ".codex"),
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
  containerEnv: (ctx) => ({ CODEX_HOME: privateState(ctx, "codex") }),
};

/**
 * Gemini CLI's home (`GEMINI_CLI_HOME`) when it is one of the run's: in a container, or for the
 * run's own settings (a custom endpoint, MCP servers; gemini.ts); undefined: the host's home.
 */
export function geminiPrivateHome(ctx: HarnessContext): string | undefined {
  const own =
    inContainer(ctx) ||
    providerBaseUrl(ctx, "GOOGLE_GEMINI_BASE_URL", false) ||
    Object.keys(ctx.config.mcp_servers ?? {}).length;
  return own ? privateState(ctx, "gemini-home") : undefined;
}

/**
 * Gemini CLI's folder for a working directory's sessions (`tmp/<slug>/`): the one its project
 * registry gives the directory already, else one named for the directory, claimed by the
 * `.project_root` marker the CLI looks for when the registry has none.
 */
export function geminiProject(root: string, cwd: string): string {
  try {
    const known = JSON.parse(readFileSync(path.join(root, "projects.json"), "utf8")).projects?.[
      path.resolve(cwd)
    ];
    if (typeof known === "string" && /^[\w.-]+$/.test(known)) return known;
  } catch {
    // no registry yet (a fresh home): the marker makes ours
  }
  return `ambit-${createHash("sha256").update(path.resolve(cwd)).digest("hex").slice(0, 12)}`;
}

export const geminiSessions: CliSessionStore = {
  kind: "files",
  root: (ctx) => {
    const own = geminiPrivateHome(ctx) ?? ctx.env.GEMINI_CLI_HOME;
    return path.join(own || home(ctx), ".gemini");
  },
  // tmp/<slug>/chats/session-<time>-<first 8 of the id>.jsonl, the id on its first line;
  // `--resume <id>` looks in the working directory's project folder only
  find(root, id) {
    const found: string[] = [];
    for (const slug of list(path.join(root, "tmp"))) {
      const chats = path.join("tmp", slug, "chats");
      for (const name of list(path.join(root, chats))) {
        if (!name.startsWith("session-") || !name.endsWith(`-${id.slice(0, 8)}.jsonl`)) continue;
        const f = path.join(chats, name);
        if (firstLine(path.join(root, f)).includes(`"sessionId":${JSON.stringify(id)}`))
          found.push(f);
      }
    }
    return found;
  },
  place: (file, ctx, root) =>
    path.join("tmp", geminiProject(root, ctx.workspace), "chats", path.basename(file)),
  markers: (ctx, root) => ({
    [path.join("tmp", geminiProject(root, ctx.workspace), ".project_root")]: path.resolve(
      ctx.workspace,
    ),
  }),
  containerEnv: (ctx) => ({ GEMINI_CLI_HOME: geminiPrivateHome(ctx)! }),
};

/**
 * OpenCode keeps every session in one SQLite database (`~/.local/share/opencode/opencode.db`):
 * `opencode export <id>` prints one as JSON, `opencode import <file>` adds it to another's. The
 * session names its working directory, made this execution's.
 */
export const opencodeSessions: CliSessionCommands = {
  kind: "commands",
  exportArgs: (id) => ["export", id],
  importArgs: (file) => ["import", file],
  adapt(doc, ctx) {
    const info = doc.info as Record<string, unknown> | undefined;
    return info ? { ...doc, info: { ...info, directory: ctx.workspace } } : doc;
  },
};

function firstLine(file: string): string {
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n).toString("utf8").split("\n")[0];
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Whether this execution's CLI sessions can be kept: a CLI's own export and import run wherever
 * it does; files are read where the runner can, its own user's home (the process backend) or the
 * private directory (a container's). An agent user's home (`--agent-user`) is left out: moving
 * its state folder would lose the CLI's login there.
 */
const covered = (store: CliSpec["session"], ctx: HarnessContext) =>
  store?.kind === "commands" || ctx.backend.kind === "docker" || !ctx.backend.owner;

/**
 * The variables that put the CLI's state folder where the runner reads it (a container's, in the
 * private directory, made here: Codex refuses a `CODEX_HOME` that does not exist).
 */
export function sessionEnv(spec: CliSpec, ctx: HarnessContext): Record<string, string> {
  if (spec.session?.kind !== "files" || !inContainer(ctx)) return {};
  mkdirSync(spec.session.root(ctx), { recursive: true, mode: 0o700 });
  return spec.session.containerEnv(ctx);
}

const tooLarge = (spec: CliSpec, ctx: HarnessContext, bytes: number) =>
  ctx.emit({
    type: "log",
    payload: {
      level: "warning",
      source: "runner",
      message: `The ${spec.type} session (${Math.round(bytes / 1048576)} MiB) is larger than checkpoints carry (${MAX_SESSION_BYTES / 1048576} MiB): a resumed execution starts its conversation afresh`,
    },
  });

const warn = (spec: CliSpec, ctx: HarnessContext, what: string) =>
  ctx.emit({
    type: "log",
    payload: {
      level: "warning",
      source: "runner",
      message: `The ${spec.type} session could not be ${what}: a resumed execution starts its conversation afresh`,
    },
  });

/** Keeps the CLI's session `id` as the run's conversation (its next checkpoint carries it). */
export async function saveSession(spec: CliSpec, ctx: HarnessContext, id: string | undefined) {
  const store = spec.session;
  if (!store || !id || !ctx.saveConversation || !covered(store, ctx)) return;
  if (store.kind === "commands") {
    // a cancelled run stops now: the conversation saved at the last turn stays the checkpoint's
    if (ctx.signal.aborted) return;
    const out = await runCommand(spec, ctx, store.exportArgs(id));
    if (out === undefined) return warn(spec, ctx, "exported");
    const bytes = Buffer.byteLength(out);
    if (bytes > MAX_SESSION_BYTES) return tooLarge(spec, ctx, bytes);
    ctx.saveConversation({
      session_id: id,
      files: [{ path: `${id}.json`, content: out }],
    } satisfies SavedSession);
    return;
  }
  const root = store.root(ctx);
  const names = newest(store, ctx, root, store.find(root, id));
  if (!names.length) return;
  const bytes = names.reduce((n, f) => n + statSync(path.join(root, f)).size, 0);
  if (bytes > MAX_SESSION_BYTES) return tooLarge(spec, ctx, bytes);
  const files = names.map((f) => ({ path: f, content: readFileSync(path.join(root, f), "utf8") }));
  ctx.saveConversation({ session_id: id, files } satisfies SavedSession);
}

/**
 * Of files that a resumed execution would put on one path (a session resumed on this host before,
 * whose copy in the earlier working directory's folder stayed behind), the last written.
 */
function newest(store: CliSessionStore, ctx: HarnessContext, root: string, files: string[]) {
  const kept = new Map<string, { file: string; at: number }>();
  for (const file of files) {
    const to = path.normalize(store.place?.(file, ctx, root) ?? file);
    const at = statSync(path.join(root, file)).mtimeMs;
    if ((kept.get(to)?.at ?? -1) < at) kept.set(to, { file, at });
  }
  return [...kept.values()].map((k) => k.file);
}

/**
 * Writes back the session a resumed execution's checkpoint holds for this CLI; its id, to start
 * the CLI with its resume flag (undefined: none, start from the prompt).
 */
export async function restoreSession(
  spec: CliSpec,
  ctx: HarnessContext,
): Promise<string | undefined> {
  const saved = ctx.resume?.conversation;
  const store = spec.session;
  if (!store || saved?.harness !== spec.type || !covered(store, ctx)) return undefined;
  const state = saved.state as Partial<SavedSession> | null;
  if (typeof state?.session_id !== "string" || !Array.isArray(state.files)) return undefined;
  if (store.kind === "commands") {
    if (!(await importSession(spec, store, ctx, state.files[0]?.content))) {
      warn(spec, ctx, "imported");
      return undefined;
    }
  } else {
    const root = store.root(ctx);
    const files = state.files.map((f) => [store.place?.(f.path, ctx, root) ?? f.path, f.content]);
    for (const [at, content] of [...files, ...Object.entries(store.markers?.(ctx, root) ?? {})]) {
      const rel = path.normalize(at);
      // a path of the checkpoint never leaves the CLI's state folder
      if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
      const file = path.join(root, rel);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, content, { mode: 0o600 });
    }
  }
  ctx.saveConversation?.(state);
  return state.session_id;
}

/** The exported session given to the CLI's import, from a private file removed after. */
async function importSession(
  spec: CliSpec,
  store: CliSessionCommands,
  ctx: HarnessContext,
  content: string | undefined,
): Promise<boolean> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(content ?? "");
  } catch {
    return false;
  }
  const file = path.join(ctx.backend.privateDir, `${spec.type}-session-${randomUUID()}.json`);
  const fd = openSync(file, "wx", 0o600);
  try {
    writeFileSync(fd, JSON.stringify(store.adapt?.(doc, ctx) ?? doc));
    // the CLI runs as the backend's user (--agent-user): the file is its to read
    if (ctx.backend.owner) fchownSync(fd, ctx.backend.owner.uid, ctx.backend.owner.gid);
  } finally {
    closeSync(fd);
  }
  try {
    return (await runCommand(spec, ctx, store.importArgs(file))) !== undefined;
  } finally {
    rmSync(file, { force: true });
  }
}

/** How long a CLI's session export or import may take. */
const COMMAND_TIMEOUT_MS = 60_000;

/** Runs the CLI with `args` where the run's processes run; its stdout, undefined if it failed. */
async function runCommand(spec: CliSpec, ctx: HarnessContext, args: string[]) {
  const p = ctx.backend.spawn(spec.bin, args, {
    env: spec.env?.(ctx),
    timeoutMs: COMMAND_TIMEOUT_MS,
  });
  p.stdin.end();
  const chunks: Buffer[] = [];
  p.stdout.on("data", (c: Buffer) => chunks.push(c));
  p.stderr.resume();
  const status = await p.wait();
  return status.exitCode === 0 ? Buffer.concat(chunks).toString("utf8") : undefined;
}
