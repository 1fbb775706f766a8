import type { RunEvent } from "@ambit/sdk";
import type { Command } from "../command.ts";
import { followRun } from "../follow.ts";
import { clock, painter } from "../output.ts";
import { renderEvent } from "../render-event.ts";

export const runLogs: Command = {
  path: ["run", "logs"],
  summary: "Print a run's event log (messages, tool calls, command output, state changes)",
  args: "<run-id>",
  minArgs: 1,
  options: {
    follow: { type: "boolean", short: "f", description: "keep streaming until the run ends" },
  },
  examples: [
    "ambit run logs $RUN",
    "ambit run logs $RUN -f",
    "ambit run logs $RUN --json | jq -r 'select(.type==\"command.output\") | .payload.chunk'",
  ],
  async run({ positionals, values, client, io, json }) {
    const api = client();
    if (values.follow) return followRun(api, io, positionals[0], { json, input: false });
    const text = await api.agent.runs.transcript(positionals[0]);
    const events = text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RunEvent);
    if (json) {
      for (const e of events) io.out.write(`${JSON.stringify(e)}\n`);
      return 0;
    }
    const paint = painter(io.out, io.env);
    const since = events.length ? Date.parse(events[0].at) : 0;
    for (const e of events) {
      const r = renderEvent(e);
      if (r)
        io.out.write(
          `${paint("gray", `[${clock(Date.parse(e.at) - since)}]`)} ${r.style ? paint(r.style, r.text) : r.text}\n`,
        );
    }
    return 0;
  },
};
