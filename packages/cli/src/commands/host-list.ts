import type { HostCli } from "@ambit/protocol";
import type { Command } from "../command.ts";
import { ago, printJson, table } from "../output.ts";

export const hostList: Command = {
  path: ["host", "list"],
  summary:
    "List the hosts connected to the team's pools, with capacity, the runs they hold and their vendor CLIs",
  examples: [
    "ambit host list",
    "ambit host list --json | jq '.hosts[] | select(.worker_id==\"my-box\")'",
  ],
  async run({ client, io, json }) {
    const { hosts } = await client().hosts.list();
    if (json) return (printJson(io, { hosts }), 0);
    if (!hosts.length) {
      io.out.write("No hosts are connected. Start one on a machine with `ambit host start`.\n");
      return 0;
    }
    io.out.write(
      table(
        ["WORKER ID", "CONNECTION", "BUSY", "VERSION", "CONNECTED", "LAST SEEN", "RUNS", "CLIS"],
        hosts.map((h) => [
          h.worker_id,
          h.connection_id,
          `${h.running.length}/${h.capacity}`,
          h.version ?? "-",
          ago(h.connected_at),
          ago(h.last_seen_at),
          h.running.join(",") || "-",
          h.clis.map(cliLabel).join(", ") || "-",
        ]),
      ),
    );
    return 0;
  },
};

/** "claude 2.1.332", or "gemini 0.62.0 (untested; tested 0.61.0)" outside the tested range. */
export const cliLabel = (c: HostCli) =>
  `${c.name} ${c.version}${c.in_tested_range ? "" : ` (untested; tested ${c.tested})`}`;
