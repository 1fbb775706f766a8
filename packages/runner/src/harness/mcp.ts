import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { MCPServerConfig } from "@ambit/protocol";
import { BackendStdioTransport } from "./mcp-transport.ts";
import { resolvePlaceholders, resolveRecord, UnknownPlaceholderError } from "./placeholders.ts";
import { tail, type Tool } from "./tools/types.ts";
import type { HarnessContext } from "./types.ts";

export const MCP_STARTUP_TIMEOUT_MS = 60_000;
const MCP_CALL_TIMEOUT_MS = 10 * 60_000;

export type McpServers = { tools: Tool[]; close(): Promise<void> };
export type McpStart = { ok: true; servers: McpServers } | { ok: false; message: string };

/**
 * Starts every MCP server of `config.mcp_servers` (stdio through the run's backend, or streamable
 * HTTP) and offers their tools as `<server>__<tool>`. The first server that fails to start stops
 * the run: a `setup.step` (phase `mcp`) says which server, how it was started and what it answered.
 */
export async function startMcpServers(
  ctx: HarnessContext,
  startupTimeoutMs = MCP_STARTUP_TIMEOUT_MS,
): Promise<McpStart> {
  const clients: Client[] = [];
  const tools: Tool[] = [];
  const close = async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
  };
  for (const [name, cfg] of Object.entries(ctx.config.mcp_servers ?? {})) {
    const started = Date.now();
    ctx.emit({ type: "setup.step", payload: { phase: "mcp", name, status: "started" } });
    const result = await connect(name, cfg, ctx, startupTimeoutMs);
    const duration_ms = Date.now() - started;
    if (!result.ok) {
      ctx.emit({
        type: "setup.step",
        payload: {
          phase: "mcp",
          name,
          status: "failed",
          duration_ms,
          ...(result.exitCode !== undefined ? { exit_code: result.exitCode } : {}),
          ...(result.tail ? { output_tail: result.tail } : {}),
        },
      });
      await close();
      return { ok: false, message: result.message };
    }
    clients.push(result.client);
    try {
      const listed = await result.client.listTools(undefined, {
        signal: ctx.signal,
        timeout: startupTimeoutMs,
      });
      for (const t of listed.tools) tools.push(mcpTool(name, t, result.client));
    } catch (err) {
      ctx.emit({
        type: "setup.step",
        payload: { phase: "mcp", name, status: "failed", duration_ms, output_tail: String(err) },
      });
      await close();
      return {
        ok: false,
        message: `MCP server "${name}" started but listing its tools failed: ${(err as Error).message}`,
      };
    }
    ctx.emit({
      type: "setup.step",
      payload: { phase: "mcp", name, status: "succeeded", duration_ms: Date.now() - started },
    });
  }
  return { ok: true, servers: { tools, close } };
}

type Connected =
  | { ok: true; client: Client }
  | { ok: false; message: string; exitCode?: number; tail?: string };

async function connect(
  name: string,
  cfg: MCPServerConfig,
  ctx: HarnessContext,
  timeoutMs: number,
): Promise<Connected> {
  const client = new Client({ name: "ambit", version: "0.1.0" });
  if (cfg.warp_id) {
    return {
      ok: false,
      message: `MCP server "${name}" is given by warp_id, which an Ambit host cannot resolve: give its command (stdio) or url (HTTP) instead`,
    };
  }
  let transport: BackendStdioTransport | StreamableHTTPClientTransport;
  const shownAs = cfg.command
    ? `command: ${[cfg.command, ...(cfg.args ?? [])].join(" ")}`
    : `url: ${cfg.url}`;
  try {
    if (cfg.command) {
      const command = resolvePlaceholders(cfg.command, ctx.env, `mcp_servers.${name}.command`);
      const args = (cfg.args ?? []).map((a, i) =>
        resolvePlaceholders(a, ctx.env, `mcp_servers.${name}.args[${i}]`),
      );
      transport = new BackendStdioTransport(
        ctx.backend,
        command,
        args,
        resolveRecord(cfg.env, ctx.env, `mcp_servers.${name}.env`),
      );
    } else {
      const url = new URL(resolvePlaceholders(cfg.url ?? "", ctx.env, `mcp_servers.${name}.url`));
      const headers = resolveRecord(cfg.headers, ctx.env, `mcp_servers.${name}.headers`);
      transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
    }
  } catch (err) {
    if (err instanceof UnknownPlaceholderError)
      return { ok: false, message: `MCP server "${name}": ${err.message}` };
    return {
      ok: false,
      message: `MCP server "${name}" (${shownAs}) is misconfigured: ${(err as Error).message}`,
    };
  }

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(transport, { signal: ctx.signal, timeout: timeoutMs }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`it did not finish starting within ${Math.round(timeoutMs / 1000)} s`),
            ),
          timeoutMs,
        );
      }),
    ]);
    return { ok: true, client };
  } catch (err) {
    await client.close().catch(() => {});
    return describeFailure(name, shownAs, transport, err as Error);
  } finally {
    clearTimeout(timer);
  }
}

async function describeFailure(
  name: string,
  shownAs: string,
  transport: BackendStdioTransport | StreamableHTTPClientTransport,
  err: Error,
): Promise<Connected> {
  if (transport instanceof BackendStdioTransport) {
    const exit = await transport.settled(1000);
    const stderr = transport.stderrTail.trim();
    const how =
      exit?.exitCode === 127
        ? "could not be started (command not found: install it on the host or in the environment's image)"
        : exit?.exitCode !== undefined && exit.exitCode !== null
          ? `exited with code ${exit.exitCode} before it finished starting`
          : `failed to start: ${err.message}`;
    return {
      ok: false,
      message: `MCP server "${name}" (${shownAs}) ${how}${stderr ? `; stderr: ${tail(stderr, 1000)}` : ""}`,
      ...(exit?.exitCode != null ? { exitCode: exit.exitCode } : {}),
      ...(stderr ? { tail: tail(stderr, 4000) } : {}),
    };
  }
  const status =
    err instanceof StreamableHTTPError && err.code && err.code > 0
      ? ` answered HTTP ${err.code}`
      : " could not be reached";
  return {
    ok: false,
    message: `MCP server "${name}" (${shownAs})${status}: ${err.message}`,
    tail: err.message,
  };
}

type ListedTool = { name: string; description?: string; inputSchema: Record<string, unknown> };

/** Tool names must match `^[a-zA-Z0-9_-]{1,64}$` for the OpenAI API. */
const safe = (s: string) => s.replace(/[^a-zA-Z0-9_-]/g, "_");

function mcpTool(server: string, t: ListedTool, client: Client): Tool {
  return {
    name: `${safe(server)}__${safe(t.name)}`.slice(0, 64),
    category: "integration",
    description: `[MCP server ${server}] ${t.description ?? t.name}`,
    inputSchema: { type: "object", ...t.inputSchema },
    async run(input, _call, ctx) {
      const res = await client.callTool({ name: t.name, arguments: input }, undefined, {
        signal: ctx.signal,
        timeout: MCP_CALL_TIMEOUT_MS,
      });
      const parts = (res.content as { type: string; text?: string }[] | undefined) ?? [];
      const text = parts
        .map((p) => (p.type === "text" ? (p.text ?? "") : `[${p.type} content]`))
        .join("\n");
      return {
        content: text,
        isError: res.isError === true,
        output: { server, tool: t.name, text: tail(text, 4000) },
      };
    },
  };
}
