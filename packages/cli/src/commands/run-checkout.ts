import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeCheckpoint } from "@ambit/protocol";
import { CliError, type Command } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson } from "../output.ts";

const REF = "refs/ambit/checkpoint";

/** git in `cwd`, its output; a failure is a CliError carrying git's own words. */
function git(cwd: string, args: string[], hint?: string): string {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"] })
      .toString()
      .trim();
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    throw new CliError(`git ${args[0]} failed: ${why}`, EXIT.ERROR, hint);
  }
}

export const runCheckout: Command = {
  path: ["run", "checkout"],
  summary: "Bring a run's changes into this repository, on the branch ambit/<run-id>",
  args: "<run-id>",
  minArgs: 1,
  options: {
    repo: {
      type: "string",
      value: "<name>",
      description: "which of the run's repositories (its directory name) when it has several",
    },
    checkpoint: {
      type: "string",
      value: "<id>",
      description: "a checkpoint's id (default: the run's latest)",
    },
  },
  description:
    "Downloads the run's last checkpoint (its commits and its uncommitted changes, as the runner took them) and makes it the branch ambit/<run-id> of the git repository you are in, then checks it out. The repository must hold the commit the run started from (a clone of the same repository).",
  examples: [
    "cd widgets && ambit run checkout $RUN",
    "ambit run checkout $RUN --repo api --checkpoint 3f2a…",
  ],
  async run({ positionals, values, client, io, json }) {
    const runId = positionals[0];
    const cwd = process.cwd();
    const top = git(cwd, ["rev-parse", "--show-toplevel"], "run it inside a git repository");
    const cp = await client().agent.runs.checkpoint(
      runId,
      (values.checkpoint as string | undefined) ?? "latest",
    );
    const decoded = decodeCheckpoint(cp.bytes);
    if (!decoded.ok) throw new CliError(`the checkpoint is unreadable: ${decoded.why}`, EXIT.ERROR);
    const wanted = values.repo as string | undefined;
    const names = decoded.bundles.map((b) => b.repo.name);
    const pick = wanted
      ? decoded.bundles.find((b) => b.repo.name === wanted)
      : decoded.bundles.length === 1
        ? decoded.bundles[0]
        : (decoded.bundles.find((b) => b.repo.name === path.basename(top)) ?? undefined);
    if (!pick)
      throw new CliError(
        `the checkpoint holds ${names.length ? names.join(", ") : "no repository"}; name one`,
        EXIT.USAGE,
        `ambit run checkout ${runId} --repo <name>`,
      );
    const dir = mkdtempSync(path.join(tmpdir(), "ambit-checkout-"));
    const branch = `ambit/${runId}`;
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
    const out = {
      run_id: runId,
      checkpoint_id: cp.checkpointId,
      repo: pick.repo.name,
      branch,
      commit: pick.repo.snapshot,
      created_at: decoded.header.created_at,
    };
    if (json) printJson(io, out);
    else
      io.out.write(
        `On ${branch}: the run's changes in ${pick.repo.name} as of ${out.created_at} (its uncommitted ones in the last commit, "ambit checkpoint")\n`,
      );
    return 0;
  },
};
