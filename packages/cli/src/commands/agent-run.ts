import type { RunCreateParams } from "@ambit/sdk";
import { type Command, type CommandContext, str, strs, UsageError } from "../command.ts";
import { followRun } from "../follow.ts";
import { runHere } from "../local-run.ts";
import { parseMcpSpec } from "../mcp-spec.ts";
import { printJson } from "../output.ts";
import { describeSharing, parseShareSpecs, SHARE_FORMS } from "../share-spec.ts";

const LOCAL_OPTIONS: Command["options"] = {
  local: {
    type: "boolean",
    description:
      "run the agent on this machine, in --dir, tracked by the platform (execution_location LOCAL)",
  },
  dir: {
    type: "string",
    short: "C",
    value: "<dir>",
    description:
      "with --local: the directory the agent works in, as it is (default: the current one)",
  },
  env: {
    type: "string",
    multiple: true,
    value: "<NAME>",
    description:
      "with --local: pass this variable of your shell to the agent (repeatable); it gets none of your shell otherwise",
  },
};

const COMMON_OPTIONS: Command["options"] = {
  prompt: { type: "string", short: "p", value: "<text>", description: "what the agent should do" },
  skill: {
    type: "string",
    value: "<spec>",
    description:
      "a skill to run, e.g. acme/api:.claude/skills/review/SKILL.md (with or without a prompt)",
  },
  "saved-prompt": {
    type: "string",
    value: "<uid|name>",
    description: "start from a saved prompt (ambit prompt list); -p is appended to it",
  },
  agent: {
    type: "string",
    value: "<uid>",
    description: "run as this named agent, with its defaults (ambit agent list)",
  },
  environment: {
    type: "string",
    short: "e",
    value: "<id>",
    description: "the environment to run in",
  },
  model: { type: "string", value: "<id>", description: "the model id" },
  harness: {
    type: "string",
    value: "<type>",
    description: "the agent harness: ambit (default), claude, codex, gemini, opencode",
  },
  host: {
    type: "string",
    value: "<worker-id>",
    description: "run on this self-hosted worker pool (default: the platform's hosts)",
  },
  name: {
    type: "string",
    short: "n",
    value: "<name>",
    description: "the agent config name (filter runs by it later)",
  },
  title: {
    type: "string",
    value: "<title>",
    description: "the run's title (default: from the prompt)",
  },
  mcp: {
    type: "string",
    multiple: true,
    value: "<json|file|id>",
    description:
      "MCP servers: inline JSON or a JSON file of {name: server}, or a registered server id",
  },
  personal: { type: "boolean", description: "only you can see the run" },
  team: { type: "boolean", description: "the team can see the run (the default)" },
  share: {
    type: "string",
    multiple: true,
    value: "<recipient>",
    description: `who else sees the run: ${SHARE_FORMS}; change it later with ambit run share`,
  },
  follow: {
    type: "boolean",
    short: "f",
    description: "stream the run until it ends (default on a terminal)",
  },
  "no-follow": { type: "boolean", description: "print the run id and return at once" },
};

export const agentRun: Command = {
  path: ["agent", "run"],
  summary: "Start an agent run (on a host, or with --local on this machine), and follow it live",
  description:
    "With --local: creates a LOCAL run and runs its agent here, in --dir (default: the current directory, used as it is:\n" +
    "no clone), with a clean environment like a host's (PATH, HOME, LANG, …) plus the run's variables and the team's and your\n" +
    "secrets (values redacted from the stream); nothing else of your shell (your AMBIT_API_KEY, cloud credentials) unless\n" +
    "you name it with --env NAME. Every event\n" +
    "streams to the run's session, so teammates can watch and send follow-ups; the terminal shows the live view. Ctrl-C\n" +
    "cancels the run (the agent's processes are killed, the run ends CANCELLED, exit 12); a second Ctrl-C exits at once (130).\n" +
    "Otherwise (and with `ambit agent run-cloud`): creates a run (POST /agent/runs) for a host. With --follow (the default when stdout is a terminal) it streams the run: state, elapsed\n" +
    "time, the agent's messages, tool calls and command output, and exits with the run's outcome (0 SUCCEEDED, 10 FAILED,\n" +
    "11 ERROR, 12 CANCELLED). Ctrl-C detaches and leaves the run going (exit 130). With --json: the created run, or with --follow one\n" +
    "JSON event per line.\n" +
    "--share decides who besides you sees the run: `team` lets teammates watch (and shares a --personal run), `team:edit`\n" +
    "lets teammates with the member role or higher also steer it, `public:view` makes a read-only link anyone can open\n" +
    "without a key. The CLI says who can see the run once it is created (with --json and --share, the first line is the\n" +
    "created run with its `sharing`). public:edit and sharing with a person (email) are refused.",
  options: { ...COMMON_OPTIONS, ...LOCAL_OPTIONS },
  examples: [
    'ambit agent run --local -p "Fix the failing test" -C ~/src/api',
    'ambit agent run --local --harness claude --env ANTHROPIC_API_KEY -p "Review the diff"',
    'ambit agent run --local --personal -p "Try the new parser" --share team:edit --share public:view',
    'ambit agent run -p "Fix the flaky test in src/util"',
    'ambit agent run -p "Upgrade dependencies" --host my-box --model gpt-5 --title "Deps" --no-follow',
    'ambit agent run --skill acme/api:review -p "Review PR 42" --mcp \'{"docs": {"url": "https://mcp.example.com"}}\'',
    'ambit agent run -p "Summarize open issues" --json --no-follow | jq -r .run_id',
    'ambit agent run --saved-prompt triage --agent $AGENT_UID -p "Only the api repo"',
  ],
  run: (ctx) => startRun(ctx, ["agent", "run"]),
};

export const agentRunCloud: Command = {
  path: ["agent", "run-cloud"],
  summary: "Start an agent run on a host (Oz's name for `agent run` without --local)",
  description:
    "The same as `ambit agent run` without --local: the run is dispatched to a host of the team's pool (or --host).",
  options: COMMON_OPTIONS,
  examples: [
    'ambit agent run-cloud -p "Fix the flaky test in src/util"',
    'ambit agent run-cloud -p "Nightly audit" --host ci-box --no-follow',
  ],
  run: (ctx) => startRun(ctx, ["agent", "run-cloud"]),
};

/** Creates the run (or, with --local, creates it and runs it here) and follows it. */
async function startRun({ values, client, settings, io, json }: CommandContext, path: string[]) {
  const usage = `ambit ${path.join(" ")}`;
  const local = !!values.local;
  if (local && str(values.host))
    throw new UsageError(
      "--local runs on this machine; --host names a host pool. Choose one",
      usage,
    );
  if (!local && str(values.dir))
    throw new UsageError(
      "-C/--dir is for --local runs (a host clones the environment's repositories)",
      usage,
    );
  const passEnv = strs(values.env);
  if (!local && passEnv.length)
    throw new UsageError(
      "--env is for --local runs (a host's runs get the environment's variables and the team's secrets)",
      usage,
    );
  const badName = passEnv.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  if (badName !== undefined)
    throw new UsageError(
      `--env takes a variable's name (e.g. --env ANTHROPIC_API_KEY), not '${badName}'`,
      usage,
    );
  if (local && values["no-follow"])
    throw new UsageError(
      "--local runs the agent in this process until it ends; --no-follow does not apply",
      usage,
    );
  const prompt = str(values.prompt);
  const skill = str(values.skill);
  const savedPrompt = str(values["saved-prompt"]);
  const agent = str(values.agent);
  if (!prompt && !skill && !savedPrompt && !agent)
    throw new UsageError(
      `${usage} needs -p <prompt>, --saved-prompt <name>, --skill <spec> or --agent <uid>`,
      usage,
    );
  if (values.personal && values.team)
    throw new UsageError("choose --personal or --team, not both", usage);
  if (values.follow && values["no-follow"])
    throw new UsageError("choose --follow or --no-follow, not both", usage);
  const shares = strs(values.share);
  const sharing = shares.length ? parseShareSpecs(shares, usage) : undefined;
  const mcp = strs(values.mcp).reduce(
    (all, spec) => Object.assign(all, parseMcpSpec(spec)),
    {} as Record<string, Record<string, unknown>>,
  );
  const config: NonNullable<RunCreateParams["config"]> = {
    ...(str(values.environment) ? { environment_id: str(values.environment) } : {}),
    ...(str(values.model) ? { model_id: str(values.model) } : {}),
    ...(str(values.harness) ? { harness: { type: str(values.harness) as never } } : {}),
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
    ...(local ? { execution_location: "LOCAL" as const } : {}),
    ...(sharing ? { sharing } : {}),
  };
  const api = client();
  if (local)
    return runHere(api, settings(), io, body, {
      dir: str(values.dir) ?? process.cwd(),
      json,
      passEnv,
    });
  const created = await api.agent.runs.create(body);
  const follow = values.follow ? true : values["no-follow"] ? false : !!io.out.isTTY;
  if (created.sharing && !json) io.err.write(`${describeSharing(created.sharing)}\n`);
  if (!follow) {
    if (json) printJson(io, created);
    else io.out.write(`${created.run_id}\n`);
    if (!json && io.err.isTTY)
      io.err.write(
        `Run ${created.run_id} is ${created.state}. Follow it: ambit run follow ${created.run_id}\n`,
      );
    return 0;
  }
  if (json && created.sharing) io.out.write(`${JSON.stringify(created)}\n`);
  return followRun(api, io, created.run_id, { json, input: false });
}
