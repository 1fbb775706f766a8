import type { AgentResponse, IdentityCreateParams, IdentityUpdateParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError, type Values } from "../command.ts";
import { readJsonFile } from "../input.ts";
import { parseMcpSpec } from "../mcp-spec.ts";
import { getCommand, listCommand, removeCommand, reply } from "./collection.ts";

const HARNESSES = ["oz", "ambit", "claude", "codex", "gemini", "opencode"];
const fieldOptions = {
  file: {
    type: "string",
    value: "<path>",
    description: "a JSON file with the agent (the API's body); flags override its fields",
  },
  description: { type: "string", value: "<text>", description: "what the agent is for" },
  prompt: { type: "string", value: "<text>", description: "the base prompt of its runs" },
  environment: {
    type: "string",
    short: "e",
    value: "<uid>",
    description: "the environment its runs use",
  },
  secret: {
    type: "string",
    multiple: true,
    value: "<NAME>",
    description: "a secret its runs need (replaces the list on update)",
  },
  skill: {
    type: "string",
    multiple: true,
    value: "<spec>",
    description: "a skill it may use (replaces the list on update)",
  },
  "base-model": { type: "string", value: "<id>", description: "the model its runs use" },
  harness: { type: "string", value: "<type>", description: HARNESSES.join(", ") },
  host: { type: "string", value: "<worker-id>", description: "the host its runs go to" },
  mcp: {
    type: "string",
    multiple: true,
    value: "<json|file|id>",
    description: "MCP servers, as for agent run --mcp (replaces them on update)",
  },
} as const;

function fromFlags(values: Values, cmd: string): IdentityUpdateParams {
  const harness = str(values.harness);
  if (harness !== undefined && !HARNESSES.includes(harness))
    throw new UsageError(`--harness must be one of ${HARNESSES.join(", ")}`, cmd);
  const mcp = strs(values.mcp).reduce(
    (all, spec) => Object.assign(all, parseMcpSpec(spec)),
    {} as Record<string, Record<string, unknown>>,
  );
  const set = (key: string, flag: string) =>
    str(values[flag]) !== undefined ? { [key]: str(values[flag]) } : {};
  return {
    ...set("name", "name"),
    ...set("description", "description"),
    ...set("prompt", "prompt"),
    ...set("environment_id", "environment"),
    ...set("base_model", "base-model"),
    ...set("worker_host", "host"),
    ...(harness ? { harness: { type: harness as never } } : {}),
    ...(strs(values.secret).length
      ? { secrets: strs(values.secret).map((name) => ({ name })) }
      : {}),
    ...(strs(values.skill).length ? { skills: strs(values.skill) } : {}),
    ...(Object.keys(mcp).length ? { mcp_servers: mcp as never } : {}),
  };
}

function show(a: AgentResponse): string {
  const rows: Array<[string, string | undefined]> = [
    ["Agent", `${a.name} (${a.uid})`],
    ["Description", a.description ?? undefined],
    ["Environment", a.environment_id],
    ["Model", a.base_model],
    ["Harness", a.harness?.type],
    ["Host", a.worker_host],
    ["Secrets", a.secrets.map((s) => s.name).join(", ") || undefined],
    ["Skills", a.skills.join(", ") || undefined],
    ["MCP servers", Object.keys(a.mcp_servers ?? {}).join(", ") || undefined],
    ["Prompt", a.prompt ?? undefined],
  ];
  return rows
    .filter(([, v]) => v)
    .map(([k, v]) => `${`${k}:`.padEnd(13)}${v}\n`)
    .join("");
}

export const agentList = listCommand({
  path: ["agent", "list"],
  summary: "List the team's named agents (start a run as one with `agent run --agent <uid>`)",
  examples: ["ambit agent list", "ambit agent list --json | jq -r '.agents[].uid'"],
  key: "agents",
  fetch: async (api) => (await api.agent.identities.list()).agents,
  empty: 'No named agents. Create one: ambit agent create -n <name> --prompt "…"',
  columns: ["UID", "NAME", "MODEL", "ENVIRONMENT", "DESCRIPTION"],
  row: (a) => [a.uid, a.name, a.base_model ?? "-", a.environment_id ?? "-", a.description ?? ""],
});

export const agentGet = getCommand({
  path: ["agent", "get"],
  summary: "Show one named agent",
  examples: ["ambit agent get $AGENT", "ambit agent get $AGENT --json"],
  retrieve: (api, uid) => api.agent.identities.retrieve(uid),
  show,
});

export const agentDelete = removeCommand({
  path: ["agent", "delete"],
  title: "named agent",
  summary: "Delete a named agent and revoke its API keys (admins)",
  examples: ["ambit agent delete $AGENT"],
  remove: (api, uid) => api.agent.identities.delete(uid),
});

export const agentCreate: Command = {
  path: ["agent", "create"],
  summary: "Create a named agent (admins, with a person's key)",
  args: "[name]",
  maxArgs: 1,
  options: {
    name: { type: "string", short: "n", value: "<name>", description: "its name" },
    ...fieldOptions,
  },
  examples: [
    'ambit agent create -n triage --prompt "You triage new issues." --base-model gpt-5 -e $ENV --secret GITHUB_TOKEN',
    "ambit agent create reviewer --skill acme/api:review --harness claude",
    "ambit agent create --file agent.json --json | jq -r .uid",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit agent create";
    const body = {
      ...(str(values.file) ? readJsonFile(str(values.file)!, cmd) : {}),
      ...(positionals[0] ? { name: positionals[0] } : {}),
      ...fromFlags(values, cmd),
    } as IdentityCreateParams;
    if (!body.name)
      throw new UsageError(
        'a named agent needs a name: ambit agent create <name> (or -n, or "name" in --file)',
        cmd,
      );
    const a = await client().agent.identities.create(body);
    return reply(
      io,
      json,
      a,
      () =>
        `Created named agent ${a.name} (${a.uid}). Run as it: ambit agent run --agent ${a.uid} -p "…"\n`,
    );
  },
};

export const agentUpdate: Command = {
  path: ["agent", "update"],
  summary: "Change a named agent (admins); only what you name changes",
  args: "<uid>",
  minArgs: 1,
  options: {
    name: { type: "string", short: "n", value: "<name>", description: "rename it" },
    ...fieldOptions,
    "remove-description": { type: "boolean", description: "clear the description" },
    "remove-prompt": { type: "boolean", description: "clear the base prompt" },
    "remove-environment": { type: "boolean", description: "clear the environment" },
    "remove-base-model": { type: "boolean", description: "clear the model" },
    "remove-all-secrets": { type: "boolean", description: "clear the secrets" },
    "remove-all-skills": { type: "boolean", description: "clear the skills" },
  },
  examples: [
    "ambit agent update $AGENT --base-model sonnet --remove-environment",
    "ambit agent update $AGENT --secret GITHUB_TOKEN --secret NPM_TOKEN",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit agent update";
    const clear: IdentityUpdateParams = {
      ...(values["remove-description"] ? { description: "" } : {}),
      ...(values["remove-prompt"] ? { prompt: "" } : {}),
      ...(values["remove-environment"] ? { environment_id: "" } : {}),
      ...(values["remove-base-model"] ? { base_model: "" } : {}),
      ...(values["remove-all-secrets"] ? { secrets: [] } : {}),
      ...(values["remove-all-skills"] ? { skills: [] } : {}),
    };
    const body = {
      ...(str(values.file) ? readJsonFile(str(values.file)!, cmd) : {}),
      ...clear,
      ...fromFlags(values, cmd),
    } as IdentityUpdateParams;
    if (!Object.keys(body).length)
      throw new UsageError("nothing to change: name a field to set or remove (see --help)", cmd);
    const a = await client().agent.identities.update(positionals[0], body);
    return reply(io, json, a, () => `Updated named agent ${a.name} (${a.uid})\n${show(a)}`);
  },
};
