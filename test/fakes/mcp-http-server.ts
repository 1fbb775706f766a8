import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/**
 * A streamable-HTTP MCP server for tests (stateless: one server per request), with one tool,
 * `issue_title`. Requests without `authorization: Bearer <token>` get 401.
 */
export async function startMcpHttpServer(token: string) {
  const http = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`)
      return void res.writeHead(401).end("missing or wrong token");
    const server = new McpServer({ name: "fake-issues", version: "1.0.0" });
    server.registerTool(
      "issue_title",
      { description: "Title of an issue", inputSchema: { number: z.number() } },
      async ({ number }) => ({ content: [{ type: "text", text: `#${number}: Crash on start` }] }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void transport.close());
    await server.connect(transport);
    let raw = "";
    for await (const c of req) raw += c;
    await transport.handleRequest(req, res, raw ? JSON.parse(raw) : undefined);
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}
