import type { McpServer, McpServerRequest } from "@ambit/protocol";
import { mcpServers } from "../../db/schema.ts";
import { iso } from "../../lib/time.ts";
import { configCollection } from "./collection.ts";
import type { McpServerRow } from "./team-config.ts";

export const toMcpServer = (row: McpServerRow): McpServer => ({
  uid: row.id,
  name: row.name,
  description: row.description,
  config: row.config as McpServer["config"],
  created_at: iso(row.createdAt),
  updated_at: iso(row.updatedAt),
});

/** Registered MCP servers: admins write them; a run names one by uid. */
export const {
  list: listMcpServers,
  get: getMcpServer,
  create: createMcpServer,
  update: updateMcpServer,
  remove: deleteMcpServer,
} = configCollection<McpServerRow, McpServer, McpServerRequest>({
  table: mcpServers,
  noun: "MCP server",
  uniqueName: "an MCP server",
  cached: (c) => c.mcpServers,
  toItem: toMcpServer,
  authorize: "admin",
  actions: {
    create: "Registering MCP servers",
    update: "Changing MCP servers",
    remove: "Removing MCP servers",
  },
  fields: (input) => ({
    name: input.name,
    description: input.description ?? null,
    config: input.config,
  }),
});
