// A run's checkpoint brought into the git repository the CLI runs in (`ambit run checkout`, and
// `ambit run continue --local` before it runs the agent there).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeCheckpoint } from "@ambit/protocol";
import type { Ambit } from "@ambit/sdk";
import { CliError } from "./command.ts";
import { EXIT } from "./exit-codes.ts";

const REF = "refs/ambit/checkpoint";

/** git in `cwd`, its output; a failure is a CliError carrying git's own words. */
export function git(cwd: string, args: string[], hint?: string): string {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"] })
      .toString()
      .trim();
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    throw new CliError(`git ${args[0]} failed: ${why}`, EXIT.ERROR, hint);
  }
}

/** The top of the git repository `cwd` is in (a CliError outside one). */
export function repoTop(cwd: string): string {
  return git(cwd, ["rev-parse", "--show-toplevel"], "run it inside a git repository");
}

/** The branch a run's changes are checked out on. */
export const runBranch = (runId: string) => `ambit/${runId}`;

export type CheckedOut = {
  run_id: string;
  checkpoint_id: string;
  repo: string;
  branch: string;
  commit: string;
  created_at: string;
};

/**
 * Downloads a checkpoint of the run (default: its latest), makes its repository `repo` (or the
 * only one, or the one named like `top`) the branch ambit/<run-id> of `top` and checks it out.
 * `usage` is the command line to suggest when the checkpoint holds several repositories.
 */
export async function checkoutRun(
  api: Ambit,
  top: string,
  runId: string,
  opts: { repo?: string; checkpoint?: string; usage: string },
): Promise<CheckedOut> {
  const cp = await api.agent.runs.checkpoint(runId, opts.checkpoint ?? "latest");
  const decoded = decodeCheckpoint(cp.bytes);
  if (!decoded.ok) throw new CliError(`the checkpoint is unreadable: ${decoded.why}`, EXIT.ERROR);
  const names = decoded.bundles.map((b) => b.repo.name);
  const pick = opts.repo
    ? decoded.bundles.find((b) => b.repo.name === opts.repo)
    : decoded.bundles.length === 1
      ? decoded.bundles[0]
      : (decoded.bundles.find((b) => b.repo.name === path.basename(top)) ?? undefined);
  if (!pick)
    throw new CliError(
      `the checkpoint holds ${names.length ? names.join(", ") : "no repository"}; name one`,
      EXIT.USAGE,
      opts.usage,
    );
  const dir = mkdtempSync(path.join(tmpdir(), "ambit-checkout-"));
  const branch = runBranch(runId);
  try {
    const file = path.join(dir, "repo.bundle");
    writeFileSync(file, pick.bundle);
    git(
      top,
      ["fetch", "--quiet", "--no-tags", file, `+${REF}:${REF}`],
      "the repository lacks the commit the run started from: fetch its history first (git fetch origin)",
    );
    git(top, ["branch", "--force", branch, pick.repo.snapshot]);
    git(top, ["update-ref", "-d", REF]);
    git(
      top,
      ["checkout", "--quiet", branch],
      `the branch ${branch} is there: commit or stash your changes, then git checkout ${branch}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    run_id: runId,
    checkpoint_id: cp.checkpointId,
    repo: pick.repo.name,
    branch,
    commit: pick.repo.snapshot,
    created_at: decoded.header.created_at,
  };
}
