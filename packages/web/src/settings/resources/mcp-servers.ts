import type { McpServer } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { opt, optList, optMap, type Resource, str, type Values } from "../resource.ts";

const body = (v: Values) => ({
  name: str(v, "name"),
  description: str(v, "description") || null,
  config: {
    command: opt(v, "command"),
    args: optList(v, "args"),
    env: optMap(v, "env"),
    url: opt(v, "url"),
    headers: optMap(v, "headers"),
  },
});

const PLACEHOLDER = "Write ${NAME} for a secret or variable: the host fills it in.";

export const mcpServers: Resource<McpServer> = {
  slug: "mcp-servers",
  title: "MCP servers",
  noun: "MCP server",
  help:
    "Registered MCP servers, started by command or reached by URL (one of the two). " +
    "Admins write them.",
  writeRole: "admin",
  fields: [
    { name: "name", label: "Name", kind: "text", required: true },
    { name: "description", label: "Description", kind: "text" },
    { name: "command", label: "Command", kind: "text" },
    { name: "args", label: "Arguments", kind: "list", help: PLACEHOLDER },
    { name: "env", label: "Environment", kind: "map", help: PLACEHOLDER },
    { name: "url", label: "URL", kind: "text" },
    { name: "headers", label: "Headers", kind: "map", help: PLACEHOLDER },
  ],
  columns: [
    { label: "Name", value: (m) => m.name },
    { label: "Command or URL", value: (m) => m.config.command ?? m.config.url ?? "" },
    { label: "Description", value: (m) => m.description ?? "" },
  ],
  list: async () => (await client.agent.mcpServers.list()).mcp_servers,
  key: (m) => m.uid,
  toForm: (m) => ({
    name: m.name,
    description: m.description ?? "",
    command: m.config.command ?? "",
    args: m.config.args ?? [],
    env: m.config.env ?? {},
    url: m.config.url ?? "",
    headers: m.config.headers ?? {},
  }),
  create: (v) => client.agent.mcpServers.create(body(v)),
  update: (m, v) => client.agent.mcpServers.update(m.uid, body(v)),
  delete: (m) => client.agent.mcpServers.delete(m.uid),
};
