import type { McpServer, McpServerRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type McpServerCreateParams = z.input<typeof McpServerRequest>;

/** `client.agent.mcpServers`: registered MCP servers, referenced from a run as `config.mcp_servers.<name>.warp_id`; `${NAME}` in args, env and headers is filled on the host from the run's secrets. */
export class McpServers extends APIResource {
  /**
   * @example
   * const { mcp_servers } = await client.agent.mcpServers.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ mcp_servers: McpServer[] }>("/agent/mcp-servers", options);
  }

  /**
   * Creates one (admins).
   *
   * @example
   * const created = await client.agent.mcpServers.create({ name: "github", config: { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"], env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" } } });
   */
  create(body: McpServerCreateParams, options?: RequestOptions) {
    return this._client.post<McpServer>("/agent/mcp-servers", { body, ...options });
  }

  /**
   * @example
   * const item = await client.agent.mcpServers.retrieve(uid);
   */
  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<McpServer>(path`/agent/mcp-servers/${uid}`, options);
  }

  /**
   * Replaces one (the whole body; admins).
   *
   * @example
   * await client.agent.mcpServers.update(uid, { name: "github", config: { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"], env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" } } });
   */
  update(uid: string, body: McpServerCreateParams, options?: RequestOptions) {
    return this._client.put<McpServer>(path`/agent/mcp-servers/${uid}`, { body, ...options });
  }

  /**
   * @example
   * await client.agent.mcpServers.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/mcp-servers/${uid}`, options);
  }
}
