import { existsSync, readFileSync } from "node:fs";
import { UsageError } from "./command.ts";

type Servers = Record<string, Record<string, unknown>>;

/**
 * One `--mcp` value as `config.mcp_servers` entries: inline JSON or a path to a JSON file holding
 * `{name: server}` (or `{"mcpServers": {name: server}}`, as editors write it), or the id of a
 * registered MCP server (sent as `warp_id`).
 */
export function parseMcpSpec(spec: string): Servers {
  const trimmed = spec.trim();
  let text: string | undefined;
  if (trimmed.startsWith("{")) text = trimmed;
  else if (existsSync(trimmed)) text = readFileSync(trimmed, "utf8");
  if (text === undefined) {
    if (!/^[\w.-]{1,100}$/.test(trimmed))
      throw new UsageError(
        `--mcp '${spec}' is neither JSON, a file, nor an MCP server id`,
        "ambit agent run",
      );
    return { [trimmed]: { warp_id: trimmed } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `--mcp ${trimmed.startsWith("{") ? "JSON" : `file ${trimmed}`} is not valid JSON: ${(err as Error).message}`,
      "ambit agent run",
    );
  }
  const servers = (value as { mcpServers?: unknown }).mcpServers ?? value;
  if (
    !servers ||
    typeof servers !== "object" ||
    Array.isArray(servers) ||
    !Object.values(servers).every((v) => v && typeof v === "object")
  ) {
    throw new UsageError(
      '--mcp wants an object of named servers, e.g. {"docs": {"url": "https://mcp.example.com"}}',
      "ambit agent run",
    );
  }
  return servers as Servers;
}
