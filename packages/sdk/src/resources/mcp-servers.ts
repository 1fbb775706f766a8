import type { McpServer, McpServerRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { Collection } from "../core/collection.ts";

export type McpServerCreateParams = z.input<typeof McpServerRequest>;

/**
 * `client.agent.mcpServers`: registered MCP servers, referenced from a run as
 * `config.mcp_servers.<name>.warp_id`; `${NAME}` in args, env and headers is filled on the host
 * from the run's secrets. Admins write them; `update` replaces the whole body.
 *
 * @example
 * const created = await client.agent.mcpServers.create({ name: "github", config: { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"], env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" } } });
 * await client.agent.mcpServers.update(created.uid, { name: "github", config: { url: "https://mcp.example.com/mcp" } });
 */
export class McpServers extends Collection<McpServer, McpServerCreateParams> {
  protected readonly basePath = "/agent/mcp-servers";

  /**
   * @example
   * const { mcp_servers } = await client.agent.mcpServers.list();
   */
  list(options?: RequestOptions) {
    return this.listAt<{ mcp_servers: McpServer[] }>(undefined, options);
  }
}
