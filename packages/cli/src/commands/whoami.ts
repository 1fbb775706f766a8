import type { Command } from "../command.ts";
import { printJson } from "../output.ts";

export const whoami: Command = {
  path: ["whoami"],
  summary: "Show who the API key acts as, on which team and server",
  examples: ["ambit whoami", "ambit whoami --json"],
  async run({ client, settings, io, json }) {
    const team = await client().team.retrieve();
    const s = settings();
    if (json) return (printJson(io, { ...team, base_url: s.baseURL, key_source: s.keySource }), 0);
    io.out.write(
      `${[
        `Principal: ${team.caller.type} ${team.caller.uid}`,
        `Role:      ${team.caller.role}`,
        `Team:      ${team.name} (${team.uid}, ${team.member_count} member${team.member_count === 1 ? "" : "s"})`,
        `Server:    ${s.baseURL}${s.urlSource === "AMBIT_BASE_URL" ? " (from AMBIT_BASE_URL)" : ""}`,
        `Key from:  ${s.keySource === "AMBIT_API_KEY" ? "AMBIT_API_KEY" : "ambit login (config file)"}`,
      ].join("\n")}\n`,
    );
    return 0;
  },
};
