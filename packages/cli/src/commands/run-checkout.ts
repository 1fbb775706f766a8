import { checkoutRun, repoTop } from "../checkout.ts";
import type { Command } from "../command.ts";
import { printJson } from "../output.ts";

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
    "ambit run checkout $RUN",
    "ambit run checkout $RUN --repo api --checkpoint 3f2a…",
    "cd widgets && ambit run checkout $RUN",
  ],
  async run({ positionals, values, client, io, json }) {
    const runId = positionals[0];
    const out = await checkoutRun(client(), repoTop(process.cwd()), runId, {
      repo: values.repo as string | undefined,
      checkpoint: values.checkpoint as string | undefined,
      usage: `ambit run checkout ${runId} --repo <name>`,
    });
    if (json) printJson(io, out);
    else
      io.out.write(
        `On ${out.branch}: the run's changes in ${out.repo} as of ${out.created_at} (its uncommitted ones in the last commit, "ambit checkpoint")\n`,
      );
    return 0;
  },
};
