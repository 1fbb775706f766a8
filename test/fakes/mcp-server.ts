// A tiny MCP stdio server for tests: one tool, `lookup`, answering from its environment.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "fake-lookup", version: "1.0.0" });
server.registerTool(
  "lookup",
  { description: "Look up the value stored under a key", inputSchema: { key: z.string() } },
  async ({ key }) => ({
    content: [{ type: "text", text: `${key}=${process.env.LOOKUP_TOKEN ?? "no-token"}` }],
  }),
);
await server.connect(new StdioServerTransport());
