import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { decodeCheckpoint } from "@ambit/protocol";
import { writeInside } from "../backends/confined-fs.ts";
import type { Backend } from "../backends/types.ts";
import { CHECKPOINT_REF } from "./checkpoint.ts";
import { git } from "./git.ts";

export type Restored = {
  /** the repositories brought back (`.`: the workspace itself) */
  restored: string[];
  failed: { name: string; why: string }[];
  /** the harness's conversation state as it was saved, or null */
  conversation: { harness: string; state: unknown } | null;
};

/**
 * Brings a checkpoint (checkpoint.ts) back into a freshly prepared workspace: each repository at
 * the agent's HEAD and branch with its uncommitted changes in the working tree again (a
 * repository the agent had made itself is created), the workspace's own files written back, and
 * the conversation decoded. A repository that does not come back is reported, not fatal.
 */
export async function restoreCheckpoint(input: {
  workspace: string;
  backend: Backend;
  archive: Uint8Array;
  signal?: AbortSignal;
}): Promise<Restored> {
  const decoded = decodeCheckpoint(input.archive);
  if (!decoded.ok)
    return { restored: [], failed: [{ name: "*", why: decoded.why }], conversation: null };
  const out: Restored = { restored: [], failed: [], conversation: null };
  const scratch = path.join(input.backend.privateDir, "restore");
  for (const { repo, bundle } of decoded.bundles) {
    const dir = path.resolve(input.workspace, repo.name);
    if (dir !== input.workspace && !dir.startsWith(input.workspace + path.sep)) {
      out.failed.push({ name: repo.name, why: "its name leads outside the workspace" });
      continue;
    }
    rmSync(scratch, { recursive: true, force: true });
    await input.backend.spawn("mkdir", ["-p", scratch, dir], {}).wait();
    const file = path.join(scratch, "repo.bundle");
    writeInside(input.backend.privateDir, file, Buffer.from(bundle), input.backend.owner);
    const own = repo.name === ".";
    const env: Record<string, string> = own
      ? {
          GIT_DIR: path.join(scratch, "workspace.git"),
          GIT_WORK_TREE: dir,
          GIT_INDEX_FILE: path.join(scratch, "index"),
        }
      : { GIT_DIR: path.join(dir, ".git"), GIT_WORK_TREE: dir };
    const g = (args: string[], extra: Record<string, string> = {}) =>
      git(input.backend, args, { cwd: dir, env: { ...env, ...extra }, signal: input.signal });
    const steps: string[][] = [
      // our own bundle, by path: the one `file` transport this allows
      ["fetch", "--quiet", "--no-tags", file, `${CHECKPOINT_REF}:${CHECKPOINT_REF}`],
      ...(own
        ? [
            ["read-tree", repo.snapshot],
            ["checkout-index", "--all", "--force"],
          ]
        : [
            repo.branch
              ? ["checkout", "--quiet", "--force", "-B", repo.branch, repo.snapshot, "--"]
              : ["checkout", "--quiet", "--force", "--detach", repo.snapshot, "--"],
            // back to the agent's HEAD, its uncommitted changes left in the working tree
            ...(repo.head !== repo.snapshot ? [["reset", "--quiet", repo.head, "--"]] : []),
          ]),
      ["update-ref", "-d", CHECKPOINT_REF],
    ];
    try {
      if (!own && !existsSync(path.join(dir, ".git"))) steps.unshift(["init", "--quiet"]);
      if (own) steps.unshift(["init", "--quiet"]);
      let why = "";
      for (const args of steps) {
        const res = await g(args, args[0] === "fetch" ? { GIT_ALLOW_PROTOCOL: "file" } : {});
        if (!res.ok) {
          why = `git ${args[0]} failed: ${res.stderr.trim().slice(-500)}`;
          break;
        }
      }
      if (why) out.failed.push({ name: repo.name, why });
      else out.restored.push(repo.name);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const talk = conversationOf(decoded);
  if (talk === "unreadable") out.failed.push({ name: "conversation", why: "it is not JSON" });
  else out.conversation = talk;
  return out;
}

/** The harness's conversation a decoded checkpoint holds (null: none was saved). */
export function conversationOf(
  decoded: Extract<ReturnType<typeof decodeCheckpoint>, { ok: true }>,
): Restored["conversation"] | "unreadable" {
  if (!decoded.conversation || !decoded.header.conversation) return null;
  try {
    return {
      harness: decoded.header.conversation.harness,
      state: JSON.parse(new TextDecoder().decode(decoded.conversation)),
    };
  } catch {
    return "unreadable";
  }
}
