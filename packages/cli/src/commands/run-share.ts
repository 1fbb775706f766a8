import type { Command } from "../command.ts";
import { printJson } from "../output.ts";
import { describeSharing, parseShareSpecs, SHARE_FORMS } from "../share-spec.ts";

export const runShare: Command = {
  path: ["run", "share"],
  summary: "Change who besides its creator sees and steers a run (the creator or an admin)",
  args: "<run-id> <recipient>...",
  minArgs: 2,
  maxArgs: 4,
  description:
    `Recipients: ${SHARE_FORMS}; team:none (teammates no longer see a personal run) and public:none (revokes the link for good;\n` +
    "public:view again makes a new one). Prints who can see the run now, and its public link.",
  examples: [
    "ambit run share $RUN team:edit",
    "ambit run share $RUN public:view",
    "ambit run share $RUN public:none team:none",
  ],
  async run({ positionals, client, io, json }) {
    const [runId, ...specs] = positionals;
    const sharing = await client().agent.runs.share(
      runId,
      parseShareSpecs(specs, "ambit run share", { allowNone: true }),
    );
    if (json) printJson(io, { run_id: runId, sharing });
    else io.out.write(`${describeSharing(sharing)}\n`);
    return 0;
  },
};
