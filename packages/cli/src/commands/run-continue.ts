import { checkoutRun, git, repoTop, runBranch } from "../checkout.ts";
import { type Command, str, UsageError } from "../command.ts";
import { continueHere } from "../local-run.ts";

/** What the agent is told when the command gives it nothing new to do. */
const CARRY_ON = "Continue where you left off.";

export const runContinue: Command = {
  path: ["run", "continue"],
  summary: "Continue an ended run's conversation on this machine (--local), as the same run",
  args: "<run-id>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    local: {
      type: "boolean",
      description: "run the agent here, as a new LOCAL execution of the run (required for now)",
    },
    prompt: {
      type: "string",
      short: "p",
      value: "<text>",
      description: `what the agent should do next (default: "${CARRY_ON}")`,
    },
    repo: {
      type: "string",
      value: "<name>",
      description: "which of the run's repositories (its directory name) when it has several",
    },
  },
  description:
    "Like Oz's \"fork to local\": checks out the run's last checkpoint in the git repository you are in, on the branch ambit/<run-id> (unless you are on it already, with your changes kept), then continues the run here: a new LOCAL execution of the same run, its agent picking up the conversation where it stopped, with --prompt as the next message. Teammates watch it live as they watch any run. Only the run's creator continues it, and only once it ended (SUCCEEDED, FAILED, ERROR or CANCELLED): a run that is still going takes a follow-up where it runs (`ambit run follow`). After this the run is a LOCAL run: its next turns are `ambit run continue --local` again.",
  examples: [
    'ambit run continue $RUN --local -p "Now add the tests"',
    "ambit run continue $RUN --local --repo api --json",
    "cd widgets && ambit run continue $RUN --local",
  ],
  async run({ positionals, values, client, settings, io, json }) {
    const runId = positionals[0];
    if (!values.local)
      throw new UsageError(
        "continue runs the agent on this machine: add --local (a hosted run takes a follow-up where it runs)",
        "ambit run continue",
      );
    const top = repoTop(process.cwd());
    const api = client();
    const here = git(top, ["branch", "--show-current"]);
    if (here !== runBranch(runId)) {
      const out = await checkoutRun(api, top, runId, {
        repo: str(values.repo),
        usage: `ambit run continue ${runId} --local --repo <name>`,
      });
      if (!json)
        io.err.write(
          `On ${out.branch}: the run's changes in ${out.repo} as of ${out.created_at}\n`,
        );
    }
    return continueHere(
      api,
      settings(),
      io,
      runId,
      { message: str(values.prompt) ?? CARRY_ON },
      {
        dir: top,
        json,
      },
    );
  },
};
