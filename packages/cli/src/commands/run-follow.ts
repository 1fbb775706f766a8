import { type Command, str, UsageError } from "../command.ts";
import { followRun } from "../follow.ts";

export const runFollow: Command = {
  path: ["run", "follow"],
  summary: "Attach to a run: replay its events, stream them live, send follow-ups by typing",
  args: "<run-id>",
  minArgs: 1,
  description:
    "Each line typed (or piped) on stdin is sent to the agent as a follow-up when your key may steer the run (EDITOR).\n" +
    "Exits when the run ends, with its outcome (0 SUCCEEDED, 10 FAILED, 11 ERROR, 12 CANCELLED); Ctrl-C detaches (exit 130).",
  options: {
    after: {
      type: "string",
      value: "<seq>",
      description: "replay only events after this seq (default 0: everything)",
    },
    "no-input": { type: "boolean", description: "do not read follow-ups from stdin" },
  },
  examples: [
    "ambit run follow $RUN",
    "echo 'also update the changelog' | ambit run follow $RUN",
    "ambit run follow $RUN --json --no-input > events.ndjson",
  ],
  async run({ positionals, values, client, io, json }) {
    const after = Number(str(values.after) ?? 0);
    if (!Number.isInteger(after) || after < 0)
      throw new UsageError("--after wants a seq (a whole number ≥ 0)", "ambit run follow");
    return followRun(client(), io, positionals[0], { json, input: !values["no-input"], after });
  },
};
