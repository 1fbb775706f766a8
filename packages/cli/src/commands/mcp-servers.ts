import type { McpServer, McpServerCreateParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError, type Values } from "../command.ts";
import { keyValues, readJsonFile } from "../input.ts";
import { getCommand, listCommand, removeCommand, reply } from "./collection.ts";

type Definition = McpServerCreateParams["config"];

const fieldOptions = {
  command: { type: "string", value: "<cmd>", description: "a stdio server: the command to start" },
  arg: {
    type: "string",
    multiple: true,
    value: "<arg>",
    description: "an argument of --command (one starting with a dash: --arg=-y)",
  },
  env: {
    type: "string",
    multiple: true,
    value: "<KEY=VALUE>",
    description: "an environment variable of --command; ${NAME} is filled from the run's secrets",
  },
  url: { type: "string", value: "<url>", description: "a streamable-HTTP server's address" },
  header: {
    type: "string",
    multiple: true,
    value: "<KEY=VALUE>",
    description: "an HTTP header of --url; ${NAME} is filled from the run's secrets",
  },
  description: { type: "string", value: "<text>", description: "what it offers" },
  file: {
    type: "string",
    value: "<path>",
    description:
      "a JSON file: the server ({command, args, env} or {url, headers}), or {name, description, config}",
  },
} as const;

/** The definition the flags describe, on top of `base` (flags of the other transport are refused by the API). */
function definition(values: Values, base: Partial<Definition>, cmd: string): Definition {
  const env = keyValues(strs(values.env), "--env", cmd);
  const headers = keyValues(strs(values.header), "--header", cmd);
  if (str(values.command) && str(values.url))
    throw new UsageError("choose --command (stdio) or --url (HTTP), not both", cmd);
  const switched = str(values.command)
    ? { url: undefined, headers: undefined }
    : str(values.url)
      ? { command: undefined, args: undefined, env: undefined }
      : {};
  const def = {
    ...base,
    ...switched,
    ...(str(values.command) ? { command: str(values.command) } : {}),
    ...(strs(values.arg).length ? { args: strs(values.arg) } : {}),
    ...(Object.keys(env).length ? { env: { ...(base.env ?? {}), ...env } } : {}),
    ...(str(values.url) ? { url: str(values.url) } : {}),
    ...(Object.keys(headers).length ? { headers: { ...(base.headers ?? {}), ...headers } } : {}),
  };
  return Object.fromEntries(Object.entries(def).filter(([, v]) => v !== undefined)) as Definition;
}

/** `--file`: a whole request or just the server definition. */
function fromFile(values: Values, cmd: string): Partial<McpServerCreateParams> {
  if (!str(values.file)) return {};
  const body = readJsonFile(str(values.file)!, cmd);
  return "config" in body
    ? (body as Partial<McpServerCreateParams>)
    : { config: body as Definition };
}

const describe = (m: McpServer) =>
  "command" in m.config && m.config.command
    ? [m.config.command, ...(m.config.args ?? [])].join(" ")
    : (m.config.url ?? "");

export const mcpList = listCommand({
  path: ["mcp", "list"],
  summary: "List the team's registered MCP servers",
  examples: ["ambit mcp list", "ambit mcp list --json"],
  key: "mcp_servers",
  fetch: async (api) => (await api.agent.mcpServers.list()).mcp_servers,
  empty: "No MCP servers. Register one: ambit mcp add <name> --url <url>",
  columns: ["UID", "NAME", "SERVER", "DESCRIPTION"],
  row: (m) => [m.uid, m.name, describe(m), m.description ?? ""],
});

export const mcpGet = getCommand({
  path: ["mcp", "get"],
  summary: "Show one registered MCP server",
  examples: ["ambit mcp get $MCP --json"],
  retrieve: (api, uid) => api.agent.mcpServers.retrieve(uid),
  show: (m) =>
    `MCP server:  ${m.name} (${m.uid})\n${m.description ? `Description: ${m.description}\n` : ""}Config:      ${JSON.stringify(m.config)}\n`,
});

export const mcpRemove = removeCommand({
  path: ["mcp", "remove"],
  title: "MCP server",
  summary: "Remove a registered MCP server (admins)",
  examples: ["ambit mcp remove $MCP"],
  remove: (api, uid) => api.agent.mcpServers.delete(uid),
});

export const mcpAdd: Command = {
  path: ["mcp", "add"],
  summary: "Register an MCP server for the team (admins); runs use it with --mcp <uid>",
  args: "<name>",
  minArgs: 1,
  options: fieldOptions,
  examples: [
    "ambit mcp add github --command npx --arg=-y --arg @modelcontextprotocol/server-github --env 'GITHUB_TOKEN=${GITHUB_TOKEN}'",
    "ambit mcp add docs --url https://mcp.example.com/mcp --header 'Authorization=Bearer ${DOCS_TOKEN}'",
    "ambit mcp add linear --file linear.json",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit mcp add";
    const file = fromFile(values, cmd);
    const body: McpServerCreateParams = {
      name: positionals[0],
      ...(file.description !== undefined ? { description: file.description } : {}),
      ...(str(values.description) !== undefined ? { description: str(values.description) } : {}),
      config: definition(values, file.config ?? {}, cmd),
    };
    if (!body.config.command && !body.config.url)
      throw new UsageError(
        "an MCP server needs --command <cmd> (stdio) or --url <url> (HTTP), or --file",
        cmd,
      );
    const m = await client().agent.mcpServers.create(body);
    return reply(
      io,
      json,
      m,
      () =>
        `Registered MCP server ${m.name} (${m.uid}). Use it: ambit agent run --mcp ${m.uid} -p "…"\n`,
    );
  },
};

export const mcpUpdate: Command = {
  path: ["mcp", "update"],
  summary: "Change a registered MCP server (admins); only what you name changes",
  args: "<uid>",
  minArgs: 1,
  options: {
    ...fieldOptions,
    name: { type: "string", short: "n", value: "<name>", description: "rename it" },
  },
  examples: [
    "ambit mcp update $MCP --url https://mcp.example.com/v2",
    "ambit mcp update $MCP --env LOG_LEVEL=debug",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit mcp update";
    const api = client();
    const current = await api.agent.mcpServers.retrieve(positionals[0]);
    const file = fromFile(values, cmd);
    const body: McpServerCreateParams = {
      name: str(values.name) ?? file.name ?? current.name,
      description: str(values.description) ?? file.description ?? current.description,
      config: definition(values, file.config ?? current.config, cmd),
    };
    const m = await api.agent.mcpServers.update(positionals[0], body);
    return reply(io, json, m, () => `Updated MCP server ${m.name} (${m.uid})\n`);
  },
};
