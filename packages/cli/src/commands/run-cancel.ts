import type { Command } from "../command.ts";
import { printJson } from "../output.ts";

export const runCancel: Command = {
  path: ["run", "cancel"],
  summary: "Cancel a run (it ends CANCELLED once its host has stopped it)",
  args: "<run-id>",
  minArgs: 1,
  examples: ["ambit run cancel $RUN", "ambit run cancel $RUN && ambit run follow $RUN"],
  async run({ positionals, client, io, json }) {
    const runId = await client().agent.runs.cancel(positionals[0]);
    if (json) printJson(io, { run_id: runId, cancel_requested: true });
    else io.out.write(`Cancel requested for ${runId}\n`);
    return 0;
  },
};
