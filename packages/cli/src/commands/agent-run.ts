import type { RunCreateParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError } from "../command.ts";
import { followRun } from "../follow.ts";
import { parseMcpSpec } from "../mcp-spec.ts";
import { printJson } from "../output.ts";

export const agentRun: Command = {
  path: ["agent", "run"],
  summary: "Start an agent run, and follow it live",
  description:
    "Creates a run (POST /agent/runs). With --follow (the default when stdout is a terminal) it streams the run: state, elapsed\n" +
    "time, the agent's messages, tool calls and command output, and exits with the run's outcome (0 SUCCEEDED, 10 FAILED,\n" +
    "11 ERROR, 12 CANCELLED). Ctrl-C detaches and leaves the run going. With --json: the created run, or with --follow one\n" +
    "JSON event per line.",
  options: {
    prompt: { type: "string", short: "p", value: "<text>", description: "what the agent should do" },
    skill: { type: "string", value: "<spec>", description: "a skill to run, e.g. acme/api:.claude/skills/review/SKILL.md (with or without a prompt)" },
    "saved-prompt": { type: "string", value: "<uid|name>", description: "start from a saved prompt (ambit prompt list); -p is appended to it" },
    agent: { type: "string", value: "<uid>", description: "run as this named agent, with its defaults (ambit agent list)" },
    environment: { type: "string", short: "e", value: "<id>", description: "the environment to run in" },
    model: { type: "string", value: "<id>", description: "the model id" },
    host: { type: "string", value: "<worker-id>", description: "run on this self-hosted worker pool (default: the platform's hosts)" },
    name: { type: "string", short: "n", value: "<name>", description: "the agent config name (filter runs by it later)" },
    title: { type: "string", value: "<title>", description: "the run's title (default: from the prompt)" },
    mcp: { type: "string", multiple: true, value: "<json|file|id>", description: "MCP servers: inline JSON or a JSON file of {name: server}, or a registered server id" },
    personal: { type: "boolean", description: "only you can see the run" },
    team: { type: "boolean", description: "the team can see the run (the default)" },
    follow: { type: "boolean", short: "f", description: "stream the run until it ends (default on a terminal)" },
    "no-follow": { type: "boolean", description: "print the run id and return at once" },
  },
  examples: [
    'ambit agent run -p "Fix the flaky test in src/util"',
    'ambit agent run -p "Upgrade dependencies" --host my-box --model gpt-5 --title "Deps" --no-follow',
    'ambit agent run --skill acme/api:review -p "Review PR 42" --mcp \'{"docs": {"url": "https://mcp.example.com"}}\'',
    'ambit agent run -p "Summarize open issues" --json --no-follow | jq -r .run_id',
    'ambit agent run --saved-prompt triage --agent $AGENT_UID -p "Only the api repo"',
  ],
  async run({ values, client, io, json }) {
    const prompt = str(values.prompt);
    const skill = str(values.skill);
    const savedPrompt = str(values["saved-prompt"]);
    const agent = str(values.agent);
    if (!prompt && !skill && !savedPrompt && !agent) throw new UsageError("ambit agent run needs -p <prompt>, --saved-prompt <name>, --skill <spec> or --agent <uid>", "ambit agent run");
    if (values.personal && values.team) throw new UsageError("choose --personal or --team, not both", "ambit agent run");
    if (values.follow && values["no-follow"]) throw new UsageError("choose --follow or --no-follow, not both", "ambit agent run");
    const mcp = strs(values.mcp).reduce((all, spec) => ({ ...all, ...parseMcpSpec(spec) }), {} as Record<string, Record<string, unknown>>);
    const config: NonNullable<RunCreateParams["config"]> = {
      ...(str(values.environment) ? { environment_id: str(values.environment) } : {}),
      ...(str(values.model) ? { model_id: str(values.model) } : {}),
      ...(str(values.host) ? { worker_host: str(values.host) } : {}),
      ...(str(values.name) ? { name: str(values.name) } : {}),
      ...(Object.keys(mcp).length ? { mcp_servers: mcp as never } : {}),
    };
    const body: RunCreateParams = {
      ...(prompt ? { prompt } : {}),
      ...(skill ? { skill } : {}),
      ...(savedPrompt ? { saved_prompt: savedPrompt } : {}),
      ...(agent ? { agent_identity_uid: agent } : {}),
      ...(str(values.title) ? { title: str(values.title) } : {}),
      ...(values.personal ? { team: false } : values.team ? { team: true } : {}),
      ...(Object.keys(config).length ? { config } : {}),
    };
    const api = client();
    const created = await api.agent.runs.create(body);
    const follow = values.follow ? true : values["no-follow"] ? false : !!io.out.isTTY;
    if (!follow) {
      if (json) printJson(io, created);
      else io.out.write(`${created.run_id}\n`);
      if (!json && io.err.isTTY) io.err.write(`Run ${created.run_id} is ${created.state}. Follow it: ambit run follow ${created.run_id}\n`);
      return 0;
    }
    return followRun(api, io, created.run_id, { json, input: false });
  },
};
