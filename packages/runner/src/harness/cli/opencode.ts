import path from "node:path";
import { tail } from "../tools/types.ts";
import type { HarnessContext } from "../types.ts";
import {
  apiFailure,
  asRecord,
  checkCredentials,
  type CliMcpServer,
  cliModel,
  mcpServersByVariable,
  optCategory,
  providerBaseUrl,
} from "./common.ts";
import { opencodeSessions } from "./sessions.ts";
import type { CliMcpHandoff, CliParser, CliSpec } from "./types.ts";

/**
 * OpenCode: `opencode run --format json <prompt>`. Lines are `{type, timestamp, sessionID, part}`
 * with types `step_start`, `text` (a finished text part), `tool_use` (a finished tool part:
 * callID, tool, state {status, input, output | error}), `step_finish` (tokens) and `error`.
 */
export const opencodeSpec: CliSpec = {
  type: "opencode",
  bin: "opencode",
  install: "install OpenCode on the host (npm i -g opencode-ai) or in the environment's image",
  mcp: mcpConfig,
  session: opencodeSessions,
  credentials: (ctx) =>
    checkCredentials(ctx, {
      type: "opencode",
      vars: [
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "GEMINI_API_KEY",
        "OPENROUTER_API_KEY",
        "GROQ_API_KEY",
      ],
      secretType: "anthropic_api_key",
      loginFile: ".local/share/opencode/auth.json",
      mapSecret: (v): Record<string, string> =>
        v.startsWith("sk-ant-") ? { ANTHROPIC_API_KEY: v } : { OPENAI_API_KEY: v },
    }),
  // OpenCode's providers (the AI SDK's) take base URLs with `/v1`, Anthropic's included
  env(ctx) {
    const env: Record<string, string> = {};
    for (const name of ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"] as const) {
      const base = providerBaseUrl(ctx, name, true);
      if (base) env[name] = base;
    }
    return env;
  },
  args(ctx, prompt, resume) {
    const model = cliModel(ctx);
    return [
      "run",
      "--format",
      "json",
      ...(model ? ["-m", model] : []),
      ...(resume ? ["--session", resume] : []),
      prompt,
    ];
  },
  parser(emit, ctx) {
    const model = cliModel(ctx);
    // OpenCode names an MCP tool `<server>_<tool>` (other characters than letters, digits, _ and -
    // made `_`): the run's servers tell its MCP tools from its own
    const servers = Object.keys(ctx.config.mcp_servers ?? {}).map(
      (n) => `${n.replace(/[^A-Za-z0-9_-]/g, "_")}_`,
    );
    const category = (tool: string) =>
      servers.some((prefix) => tool.startsWith(prefix))
        ? { category: "integration" as const }
        : optCategory(tool);
    const p: CliParser = {
      finalText: "",
      line(ev) {
        if (typeof ev.sessionID === "string") p.sessionId = ev.sessionID;
        const part = ev.part ?? {};
        switch (ev.type) {
          case "text":
            if (!part.text) break;
            p.finalText = part.text;
            emit({
              type: "agent.message",
              payload: {
                text: part.text,
                ...(part.messageID ? { message_id: part.messageID } : {}),
                role: "assistant",
              },
            });
            break;
          case "tool_use": {
            const st = part.state ?? {};
            emit({
              type: "agent.tool_call",
              payload: {
                call_id: part.callID,
                name: part.tool,
                ...category(part.tool ?? ""),
                input: asRecord(st.input),
              },
            });
            emit({
              type: "agent.tool_result",
              payload: {
                call_id: part.callID,
                name: part.tool,
                state: st.status === "completed" ? "completed" : "failed",
                output:
                  st.status === "completed"
                    ? {
                        output: tail(String(st.output ?? ""), 4000),
                        ...(st.title ? { title: st.title } : {}),
                      }
                    : { error: st.error ?? st.status },
              },
            });
            break;
          }
          case "step_finish": {
            const t = part.tokens ?? {};
            emit({
              type: "usage",
              payload: {
                ...(model ? { model_id: model } : {}),
                input_tokens: t.input ?? 0,
                output_tokens: (t.output ?? 0) + (t.reasoning ?? 0),
                ...(t.cache?.read ? { cache_read_tokens: t.cache.read } : {}),
                ...(t.cache?.write ? { cache_write_tokens: t.cache.write } : {}),
              },
            });
            break;
          }
          case "error": {
            const said =
              ev.error?.data?.message ??
              ev.error?.message ??
              ev.error?.name ??
              "OpenCode reported an error";
            const status = ev.error?.data?.statusCode;
            if (typeof status === "number") {
              const url = String(ev.error?.data?.metadata?.url ?? "");
              const f = apiFailure("OpenCode", status, {
                keyVar: /anthropic|\/messages$/.test(url) ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY",
                urlVar: /anthropic|\/messages$/.test(url)
                  ? "ANTHROPIC_BASE_URL"
                  : "OPENAI_BASE_URL",
                model,
                detail: said,
              });
              p.error = f.message;
              p.errorCode = f.code;
            } else p.error = said;
            break;
          }
        }
      },
    };
    return p;
  },
};

/**
 * The run's MCP servers as OpenCode's `mcp` config, in a file of the run's private directory
 * named by `OPENCODE_CONFIG` (merged over the user's config; the host's own stays untouched).
 * A remote server gets `oauth: false`: headless, OpenCode cannot run an OAuth flow, and its
 * headers carry the credentials. Secrets stay out of the file: OpenCode substitutes `{env:NAME}`,
 * the values are in its environment.
 */
function mcpConfig(given: CliMcpServer[], ctx: HarnessContext, privateDir: string): CliMcpHandoff {
  if (!given.length) return { args: [], env: {}, files: {} };
  const { servers, env } = mcpServersByVariable(given, ctx, (name) => `{env:${name}}`);
  const mcp = Object.fromEntries(
    servers.map((s) => [
      s.name,
      s.kind === "stdio"
        ? { type: "local", command: [s.command, ...s.args], environment: s.env, enabled: true }
        : { type: "remote", url: s.url, headers: s.headers, oauth: false, enabled: true },
    ]),
  );
  const file = path.join(privateDir, "opencode-mcp.json");
  return {
    args: [],
    env: { ...env, OPENCODE_CONFIG: file },
    files: { [file]: JSON.stringify({ $schema: "https://opencode.ai/config.json", mcp }) },
  };
}
