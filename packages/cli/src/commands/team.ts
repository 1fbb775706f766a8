import type { TeamInfo, TeamUpdateParams } from "@ambit/sdk";
import { type Command, str, UsageError } from "../command.ts";
import { parseCount, parseDuration } from "../input.ts";
import { printJson } from "../output.ts";

const hours = (s: number) =>
  s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
const show = (t: TeamInfo) =>
  `${[
    `Team:                ${t.name} (${t.uid})`,
    `Members:             ${t.member_count}`,
    `Max concurrent runs: ${t.limits.max_concurrent_runs}`,
    `Max run time:        ${hours(t.limits.max_run_time_seconds)}`,
    `You:                 ${t.caller.type} ${t.caller.uid} (${t.caller.role})`,
  ].join("\n")}\n`;

export const teamGet: Command = {
  path: ["team", "get"],
  summary: "Show the team, its limits and your role on it",
  examples: ["ambit team get", "ambit team get --json | jq .limits"],
  async run({ client, io, json }) {
    const team = await client().team.retrieve();
    if (json) return (printJson(io, team), 0);
    io.out.write(show(team));
    return 0;
  },
};

export const teamUpdate: Command = {
  path: ["team", "update"],
  summary: "Rename the team or change its limits (admins)",
  options: {
    name: { type: "string", short: "n", value: "<name>", description: "the team's new name" },
    "max-concurrent-runs": {
      type: "string",
      value: "<n>",
      description: "runs hosts may hold at once; more wait in line",
    },
    "max-run-time": {
      type: "string",
      value: "<duration>",
      description:
        "a run going longer ends FAILED (budget_exceeded): 90m, 4h, 1d or seconds (at least 60s)",
    },
  },
  examples: [
    "ambit team update --max-concurrent-runs 4 --max-run-time 4h",
    "ambit team update --name acme-platform --json",
  ],
  async run({ values, client, io, json }) {
    const cmd = "ambit team update";
    const n = str(values["max-concurrent-runs"]);
    const t = str(values["max-run-time"]);
    const limits = {
      ...(n !== undefined
        ? { max_concurrent_runs: parseCount(n, "--max-concurrent-runs", cmd) }
        : {}),
      ...(t !== undefined ? { max_run_time_seconds: parseDuration(t, "--max-run-time", cmd) } : {}),
    };
    const body: TeamUpdateParams = {
      ...(str(values.name) !== undefined ? { name: str(values.name) } : {}),
      ...(Object.keys(limits).length ? { limits } : {}),
    };
    if (!Object.keys(body).length)
      throw new UsageError(
        "nothing to change: give --name, --max-concurrent-runs and/or --max-run-time",
        cmd,
      );
    const team = await client().team.update(body);
    if (json) return (printJson(io, team), 0);
    io.out.write(show(team));
    return 0;
  },
};
