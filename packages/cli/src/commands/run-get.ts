import type { Command } from "../command.ts";
import { printJson } from "../output.ts";

export const runGet: Command = {
  path: ["run", "get"],
  summary: "Show one run: state, status message, config, artifacts",
  args: "<run-id>",
  minArgs: 1,
  examples: ["ambit run get 0190f3a2-…", "ambit run get $RUN --json | jq .status_message"],
  async run({ positionals, client, io, json }) {
    const run = await client().agent.runs.retrieve(positionals[0]);
    if (json) return (printJson(io, run), 0);
    const c = run.agent_config ?? {};
    const rows: Array<[string, string | undefined]> = [
      ["Run", run.run_id],
      ["Title", run.title],
      ["State", run.state],
      [
        "Status",
        run.status_message
          ? `${run.status_message.message}${run.status_message.error_code ? ` (${run.status_message.error_code})` : ""}`
          : undefined,
      ],
      ["Source", run.source],
      ["Scope", run.scope ? `${run.scope.type}` : undefined],
      [
        "Shared",
        run.sharing
          ? `team ${run.sharing.team.toLowerCase()}, public ${run.sharing.public.toLowerCase()}`
          : undefined,
      ],
      ["Public link", run.sharing?.public_url],
      [
        "Creator",
        run.creator
          ? `${run.creator.type} ${run.creator.uid}${run.creator.email ? ` <${run.creator.email}>` : ""}`
          : undefined,
      ],
      ["Created", run.created_at],
      ["Started", run.started_at ?? undefined],
      ["Updated", run.updated_at],
      ["Run time", run.run_time],
      ["Host", c.worker_host ?? "warp (platform)"],
      ["Model", c.model_id],
      ["Environment", c.environment_id],
      ["Name", c.name],
      ["Skill", c.skill_spec],
      ["Session", run.session_link],
      ["Prompt", run.prompt],
    ];
    for (const [k, v] of rows) if (v) io.out.write(`${`${k}:`.padEnd(13)}${v}\n`);
    for (const a of run.artifacts ?? [])
      io.out.write(`Artifact:    ${a.artifact_type} ${JSON.stringify(a.data)}\n`);
    return 0;
  },
};
