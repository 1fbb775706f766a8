import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import {
  type CheckpointHeader,
  type CheckpointReason,
  type CheckpointRepo,
  encodeCheckpoint,
} from "@ambit/protocol";
import { readInside, writeInside } from "../backends/confined-fs.ts";
import type { Backend } from "../backends/types.ts";
import { git } from "./git.ts";

// A checkpoint of a run's workspace, as git would restore it (docs/runs.md, "Checkpoints"): for
// each repository, a commit over the agent's HEAD holding its uncommitted changes too (untracked
// files included, ignored ones not), built in a scratch index so neither the agent's index nor
// its working tree is touched, and a git bundle of it from where the run started. A workspace
// without repositories is one itself (`.`), through a git directory of the runner's in the
// backend's private directory. Files holding a secret value of the run are left out. Every git
// command runs in the run's backend, hardened (git.ts), as every other of the run.

/** A repository's ref the snapshot is bundled under (deleted again once bundled). */
export const CHECKPOINT_REF = "refs/ambit/checkpoint";
/** Shorter secret values are not searched for: they would match too much. */
const MIN_SECRET_LENGTH = 8;

export type CheckpointInput = {
  workspace: string;
  /** the repositories the runner cloned, with the commit each started from */
  repos: { dir: string; base?: string }[];
  backend: Backend;
  executionId: number;
  reason: CheckpointReason;
  /** the run's secret values: a file holding one is left out */
  secrets: string[];
  conversation: { harness: string; state: unknown } | null;
  allowLocal?: boolean;
  signal?: AbortSignal;
};

/** Takes a checkpoint: the archive's bytes and header (packages/protocol/src/checkpoints.ts). */
export async function takeCheckpoint(
  input: CheckpointInput,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; header: CheckpointHeader }> {
  const scratch = path.join(input.backend.privateDir, "checkpoint");
  const repos: CheckpointRepo[] = [];
  const bundles: Uint8Array[] = [];
  const dirs = repositoriesIn(input.workspace, input.repos);
  for (const [i, r] of dirs.entries()) {
    const taken = await snapshotRepo(input, r, path.join(scratch, `${i}`));
    if (!taken) continue;
    repos.push(taken.repo);
    bundles.push(taken.bundle);
  }
  if (!input.repos.length) {
    // the workspace itself, but for the repositories inside it (each bundled above)
    const others = dirs.map((d) => path.relative(input.workspace, d.dir));
    const taken = await snapshotRepo(input, { dir: input.workspace, outside: others }, scratch);
    if (taken) {
      repos.push(taken.repo);
      bundles.push(taken.bundle);
    }
  }
  const conversation = input.conversation
    ? new TextEncoder().encode(
        JSON.stringify(withoutSecrets(input.conversation.state, input.secrets)),
      )
    : null;
  const header: CheckpointHeader = {
    version: 1,
    reason: input.reason,
    execution_id: input.executionId,
    created_at: new Date().toISOString(),
    repos,
    conversation: conversation
      ? { harness: input.conversation!.harness, bytes: conversation.length }
      : null,
  };
  return { bytes: encodeCheckpoint(header, bundles, conversation), header };
}

/** Replaced for a secret value of the run in the conversation the checkpoint carries. */
export const REDACTED = "[redacted secret]";

/**
 * The conversation with every secret value of the run (as it is, and as JSON escapes it: a vendor
 * CLI's session file is JSON lines) replaced in each of its strings.
 */
export function withoutSecrets(state: unknown, secrets: string[]): unknown {
  const values = secrets
    .filter((v) => v.length >= MIN_SECRET_LENGTH)
    .flatMap((v) => [v, JSON.stringify(v).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  if (!values.length) return state;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string")
      return values.reduce((s, secret) => s.replaceAll(secret, REDACTED), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(state);
}

type Target = { dir: string; base?: string; outside?: string[] };

/** The repositories of the workspace: those cloned for the run, then any the agent made or cloned. */
function repositoriesIn(workspace: string, known: { dir: string; base?: string }[]): Target[] {
  const found = new Map(
    known.filter((r) => existsSync(path.join(r.dir, ".git"))).map((r) => [r.dir, r]),
  );
  for (const e of existsSync(workspace) ? readdirSync(workspace, { withFileTypes: true }) : []) {
    const dir = path.join(workspace, e.name);
    if (e.isDirectory() && existsSync(path.join(dir, ".git")) && !found.has(dir))
      found.set(dir, { dir });
  }
  return [...found.values()];
}

/**
 * One repository's snapshot commit and bundle, or null when git could not take it (the reason is
 * thrown away: a checkpoint is best effort, the next one tries again). `t.outside`: the workspace
 * itself, tracked by the runner's own git directory in `scratch`, its repositories left out.
 */
async function snapshotRepo(input: CheckpointInput, t: Target, scratch: string) {
  const own = t.outside !== undefined;
  const gitDir = own ? path.join(scratch, "workspace.git") : path.join(t.dir, ".git");
  const index = path.join(scratch, "index");
  const bundleFile = path.join(scratch, "repo.bundle");
  const env = { GIT_DIR: gitDir, GIT_WORK_TREE: t.dir, GIT_INDEX_FILE: index };
  const g = (args: string[]) =>
    git(input.backend, args, {
      cwd: t.dir,
      env,
      allowLocal: input.allowLocal,
      signal: input.signal,
    });
  rmSync(scratch, { recursive: true, force: true });
  const mk = await input.backend.spawn("mkdir", ["-p", scratch], {}).wait();
  if (mk.exitCode !== 0) return null;
  try {
    if (own && !(await g(["init", "--quiet"])).ok) return null;
    const head = own
      ? ""
      : (await g(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])).stdout.trim();
    const branchOut = own ? null : await g(["symbolic-ref", "--quiet", "--short", "HEAD"]);
    const branch = branchOut?.ok ? branchOut.stdout.trim() || null : null;
    if (head && !(await g(["read-tree", head])).ok) return null;
    const outside = (t.outside ?? []).map((d) => `:(exclude)${d}`);
    if (!(await g(["add", "--all", "--", ".", ...outside])).ok) return null;
    const excluded = await dropSecretFiles(input, g, scratch);
    if (excluded === null) return null;
    const tree = (await g(["write-tree"])).stdout.trim();
    if (!tree) return null;
    const commit = await g([
      "commit-tree",
      tree,
      ...(head ? ["-p", head] : []),
      "-m",
      `ambit checkpoint (${input.reason})`,
    ]);
    const snapshot = commit.stdout.trim();
    if (!commit.ok || !snapshot) return null;
    if (!(await g(["update-ref", CHECKPOINT_REF, snapshot])).ok) return null;
    const base = t.base && t.base !== snapshot ? [`^${t.base}`] : [];
    const bundled = await g(["bundle", "create", "--quiet", bundleFile, CHECKPOINT_REF, ...base]);
    await g(["update-ref", "-d", CHECKPOINT_REF]);
    if (!bundled.ok) return null;
    // read confined to the private directory: a link planted there leads nowhere else
    const read = readInside(input.backend.privateDir, bundleFile);
    if (!read.bytes) return null;
    const name = own ? "." : path.relative(input.workspace, t.dir) || ".";
    const repo: CheckpointRepo = {
      name,
      base: t.base ?? null,
      head: head || snapshot,
      snapshot,
      branch,
      bytes: read.bytes.length,
      excluded,
    };
    return { repo, bundle: new Uint8Array(read.bytes) };
  } finally {
    if (!own) rmSync(scratch, { recursive: true, force: true });
    else rmSync(index, { force: true });
  }
}

/**
 * Takes the files holding a secret value of the run out of the scratch index (`git grep` over
 * it, the values in a pattern file of the private directory, removed at once). The files it left
 * out, or null when the search itself failed (the checkpoint is then not taken: it might hold one).
 */
async function dropSecretFiles(
  input: CheckpointInput,
  g: (args: string[]) => ReturnType<typeof git>,
  scratch: string,
): Promise<string[] | null> {
  const values = [
    ...new Set(
      input.secrets.flatMap((v) => v.split("\n")).filter((v) => v.length >= MIN_SECRET_LENGTH),
    ),
  ];
  if (!values.length) return [];
  const patterns = path.join(scratch, "patterns");
  writeInside(input.backend.privateDir, patterns, `${values.join("\n")}\n`, input.backend.owner);
  try {
    const found = await g(["grep", "--cached", "-l", "-z", "-F", "-f", patterns]);
    // exit 1: nothing matched
    if (!found.ok && found.exitCode !== 1) return null;
    const files = found.stdout.split("\0").filter(Boolean);
    const literal = files.map((f) => `:(literal)${f}`);
    if (files.length && !(await g(["rm", "--cached", "--quiet", "--", ...literal])).ok) return null;
    return files.slice(0, 100);
  } finally {
    rmSync(patterns, { force: true });
  }
}
