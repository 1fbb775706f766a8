import type { ScheduleCreateParams, ScheduleUpdateParams } from "@ambit/sdk";
import type { ScheduledAgentItem } from "@ambit/protocol";
import { type Command, type Values, str, UsageError } from "../command.ts";
import { ago, printJson, table } from "../output.ts";

/** The flags that shape a schedule, for create and update alike. */
const SHAPE = {
  cron: {
    type: "string",
    value: "<expr>",
    description: "5-field cron: minute hour day-of-month month day-of-week",
  },
  prompt: { type: "string", short: "p", value: "<text>", description: "what each run should do" },
  timezone: {
    type: "string",
    value: "<iana>",
    description: "the zone the cron is read in, e.g. Europe/Berlin (default UTC)",
  },
  overlap: {
    type: "string",
    value: "skip|allow|cancel_previous",
    description: "when the previous run is still going (default skip)",
  },
  environment: {
    type: "string",
    short: "e",
    value: "<uid>",
    description: "the environment its runs use",
  },
  model: { type: "string", value: "<id>", description: "the model its runs use" },
  host: { type: "string", value: "<worker-id>", description: "the host pool its runs go to" },
} as const;

const OVERLAP = ["skip", "allow", "cancel_previous"] as const;

function shape(values: Values, cmd: string) {
  const overlap = str(values.overlap);
  if (overlap && !OVERLAP.includes(overlap as (typeof OVERLAP)[number]))
    throw new UsageError(`--overlap must be one of ${OVERLAP.join(", ")}`, cmd);
  const config: Record<string, string> = {};
  if (str(values.environment)) config.environment_id = str(values.environment)!;
  if (str(values.model)) config.model_id = str(values.model)!;
  if (str(values.host)) config.worker_host = str(values.host)!;
  return {
    ...(str(values.cron) ? { cron_schedule: str(values.cron)! } : {}),
    ...(str(values.prompt) ? { prompt: str(values.prompt)! } : {}),
    ...(str(values.timezone) ? { timezone: str(values.timezone)! } : {}),
    ...(overlap ? { overlap_policy: overlap as (typeof OVERLAP)[number] } : {}),
    ...(Object.keys(config).length ? { agent_config: config } : {}),
  };
}

function describe(s: ScheduledAgentItem): string {
  const lines = [
    ["ID", s.id],
    ["Name", s.name],
    ["Cron", `${s.cron_schedule} (${s.timezone})`],
    ["Enabled", s.enabled ? "yes" : "no (paused)"],
    ["Overlap", s.overlap_policy],
    ["Scope", s.scope?.type === "User" ? "personal" : "team"],
    ["Next run", s.history?.next_run ?? "-"],
    [
      "Last ran",
      s.history?.last_ran ? `${s.history.last_ran} (run ${s.history.last_run_id ?? "?"})` : "never",
    ],
    [
      "Last skipped",
      s.history?.last_skipped_at
        ? `${s.history.last_skipped_at}: ${s.history.last_skip_reason ?? ""}`
        : "-",
    ],
    ["Spawn error", s.last_spawn_error ?? "-"],
    ["Prompt", s.prompt],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`).join("\n")}\n`;
}

export const scheduleList: Command = {
  path: ["schedule", "list"],
  summary: "List the team's schedules and your personal ones",
  examples: [
    "ambit schedule list",
    "ambit schedule list --json | jq -r '.schedules[] | select(.last_spawn_error) | .name'",
  ],
  async run({ client, io, json }) {
    const { schedules } = await client().agent.schedules.list();
    if (json) return (printJson(io, { schedules }), 0);
    if (!schedules.length)
      return (io.out.write("No schedules. Create one with `ambit schedule create`.\n"), 0);
    io.out.write(
      table(
        ["ID", "NAME", "CRON", "ENABLED", "NEXT RUN", "LAST RAN", "ERROR"],
        schedules.map((s) => [
          s.id,
          s.name,
          `${s.cron_schedule} ${s.timezone}`,
          s.enabled ? "yes" : "paused",
          s.history?.next_run ?? "-",
          ago(s.history?.last_ran),
          s.last_spawn_error ? "yes" : "-",
        ]),
      ),
    );
    return 0;
  },
};

export const scheduleGet: Command = {
  path: ["schedule", "get"],
  summary: "Show a schedule: its next slot, last run, last skip and last spawn error",
  args: "<id>",
  minArgs: 1,
  maxArgs: 1,
  examples: [
    "ambit schedule get $SCHEDULE_ID",
    "ambit schedule get $SCHEDULE_ID --json | jq .history",
  ],
  async run({ positionals, client, io, json }) {
    const s = await client().agent.schedules.retrieve(positionals[0]);
    if (json) return (printJson(io, s), 0);
    io.out.write(describe(s));
    return 0;
  },
};

export const scheduleCreate: Command = {
  path: ["schedule", "create"],
  summary: "Start an agent on a cron",
  args: "<name>",
  minArgs: 1,
  maxArgs: 1,
  options: {
    ...SHAPE,
    personal: { type: "boolean", description: "only you see it, and its runs are personal" },
    paused: { type: "boolean", description: "create it paused" },
  },
  examples: [
    'ambit schedule create nightly-deps --cron "0 3 * * *" -p "Upgrade dependencies and open a PR" --timezone Europe/Berlin',
    'ambit schedule create triage --cron "*/30 9-17 * * 1-5" -p "Triage new issues" --overlap cancel_previous --json',
  ],
  async run({ positionals, values, client, io, json }) {
    const body = {
      name: positionals[0],
      ...shape(values, "ambit schedule create"),
    } as ScheduleCreateParams;
    if (!body.cron_schedule)
      throw new UsageError('--cron is required, e.g. --cron "0 3 * * *"', "ambit schedule create");
    if (values.personal) body.team = false;
    if (values.paused) body.enabled = false;
    const s = await client().agent.schedules.create(body);
    if (json) return (printJson(io, s), 0);
    io.out.write(`${s.id}\n`);
    io.err.write(
      `Created schedule '${s.name}'; next run ${s.history?.next_run ?? "when resumed"}.\n`,
    );
    return 0;
  },
};

export const scheduleUpdate: Command = {
  path: ["schedule", "update"],
  summary: "Change a schedule; flags you leave out keep their value",
  args: "<id>",
  minArgs: 1,
  maxArgs: 1,
  options: { name: { type: "string", value: "<name>", description: "rename it" }, ...SHAPE },
  examples: [
    'ambit schedule update $SCHEDULE_ID --cron "0 4 * * *"',
    'ambit schedule update $SCHEDULE_ID -p "Upgrade only patch versions"',
  ],
  async run({ positionals, values, client, io, json }) {
    const sdk = client();
    const current = await sdk.agent.schedules.retrieve(positionals[0]);
    const changes = shape(values, "ambit schedule update");
    // PUT replaces the whole schedule: start from what it is now
    const body: ScheduleUpdateParams = {
      name: str(values.name) ?? current.name,
      cron_schedule: current.cron_schedule,
      prompt: current.prompt,
      enabled: current.enabled,
      timezone: current.timezone,
      overlap_policy: current.overlap_policy,
      ...(current.mode ? { mode: current.mode } : {}),
      ...(current.metadata ? { metadata: current.metadata } : {}),
      ...changes,
      agent_config: { ...(current.agent_config ?? {}), ...(changes.agent_config ?? {}) },
    };
    const s = await sdk.agent.schedules.update(positionals[0], body);
    if (json) return (printJson(io, s), 0);
    io.out.write(describe(s));
    return 0;
  },
};

const toggle = (verb: "pause" | "resume"): Command => ({
  path: ["schedule", verb],
  summary:
    verb === "pause"
      ? "Stop starting runs until resumed"
      : "Start runs again from the next slot (missed slots are not replayed)",
  args: "<id>",
  minArgs: 1,
  maxArgs: 1,
  examples: [`ambit schedule ${verb} $SCHEDULE_ID`],
  async run({ positionals, client, io, json }) {
    const s = await client().agent.schedules[verb](positionals[0]);
    if (json) return (printJson(io, s), 0);
    io.out.write(
      verb === "pause"
        ? `Paused ${s.name}\n`
        : `Resumed ${s.name}; next run ${s.history?.next_run ?? "-"}\n`,
    );
    return 0;
  },
});

export const schedulePause = toggle("pause");
export const scheduleResume = toggle("resume");

export const scheduleDelete: Command = {
  path: ["schedule", "delete"],
  summary: "Delete a schedule (its past runs stay)",
  args: "<id>",
  minArgs: 1,
  maxArgs: 1,
  examples: ["ambit schedule delete $SCHEDULE_ID"],
  async run({ positionals, client, io, json }) {
    const r = await client().agent.schedules.delete(positionals[0]);
    if (json) return (printJson(io, { id: positionals[0], ...r }), 0);
    io.out.write(`Deleted ${positionals[0]}\n`);
    return 0;
  },
};
