import path from "node:path";
import { tail } from "../tools/types.ts";
import {
  apiFailure,
  asRecord,
  checkCredentials,
  type CliMcpServer,
  cliModel,
  optCategory,
  providerBaseUrl,
} from "./common.ts";
import { claudeSessions } from "./sessions.ts";
import type { CliMcpHandoff, CliParser, CliSpec } from "./types.ts";

/**
 * Claude Code: `claude -p <prompt> --output-format stream-json --verbose`. Lines are `system`
 * (subtype `init`: session_id, model), `assistant` / `user` (an API message whose content holds
 * text, tool_use and tool_result blocks) and a final `result` (usage, is_error, result text).
 * A failed model call retries quietly (`system`/`api_retry` lines, 10 attempts over minutes) and
 * ends in a `result` with `subtype: "success"` yet `is_error: true` and `api_error_status`.
 */
export const claudeSpec: CliSpec = {
  type: "claude",
  bin: "claude",
  install:
    "install Claude Code on the host (npm i -g @anthropic-ai/claude-code) or in the environment's image",
  mcp: mcpConfig,
  session: claudeSessions,
  credentials: (ctx) =>
    checkCredentials(ctx, {
      type: "claude",
      vars: ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"],
      secretType: "anthropic_api_key",
      loginFile: ".claude/.credentials.json",
      mapSecret: (v): Record<string, string> =>
        v.startsWith("sk-ant-oat") ? { CLAUDE_CODE_OAUTH_TOKEN: v } : { ANTHROPIC_API_KEY: v },
    }),
  // Claude Code refuses to skip permission prompts as root unless told it runs in a sandbox; a
  // container run is one, and a root host runner is one by its operator's choice
  // The base URL is Anthropic's form, without `/v1` (Claude Code adds `/v1/messages`).
  env(ctx) {
    const env: Record<string, string> = {};
    if (ctx.backend.kind === "docker" || process.getuid?.() === 0) env.IS_SANDBOX = "1";
    const base = providerBaseUrl(ctx, "ANTHROPIC_BASE_URL", false);
    if (base) env.ANTHROPIC_BASE_URL = base;
    return env;
  },
  args(ctx, prompt, resume, mcpArgs) {
    const model = cliModel(ctx);
    return [
      "-p",
      prompt,
      "--output-format",
      "stream-json",
      "--verbose",
      "--dangerously-skip-permissions",
      ...(model ? ["--model", model] : []),
      ...(resume ? ["--resume", resume] : []),
      ...mcpArgs,
      ...(ctx.config.base_prompt ? ["--append-system-prompt", ctx.config.base_prompt] : []),
    ];
  },
  parser(emit, ctx) {
    const names = new Map<string, string>();
    let model: string | undefined;
    const failure = (status: number, detail?: string) =>
      apiFailure("Claude Code", status, {
        keyVar: "ANTHROPIC_API_KEY",
        urlVar: "ANTHROPIC_BASE_URL",
        model: cliModel(ctx) ?? model,
        detail,
      });
    const p: CliParser = {
      finalText: "",
      line(ev) {
        if (ev.type === "system" && ev.subtype === "init") {
          p.sessionId = ev.session_id;
          model = ev.model;
        } else if (ev.type === "system" && ev.subtype === "api_retry") {
          const status = typeof ev.error_status === "number" ? ev.error_status : undefined;
          emit({
            type: "log",
            payload: {
              level: "warning",
              source: "claude",
              message: `Claude Code is retrying the model API (attempt ${ev.attempt ?? "?"} of ${ev.max_retries ?? "?"}${status ? `, HTTP ${status}` : ""}${ev.error ? `: ${ev.error}` : ""})`,
            },
          });
          // a refused key stays refused: fail now, not after minutes of retries
          if (status === 401 || status === 403) {
            const f = failure(status, ev.error);
            p.error = f.message;
            p.errorCode = f.code;
            p.stop = true;
          }
        } else if (ev.type === "assistant") {
          for (const b of ev.message?.content ?? []) {
            if (b.type === "text" && b.text) {
              p.finalText = b.text;
              emit({
                type: "agent.message",
                payload: {
                  text: b.text,
                  ...(ev.message?.id ? { message_id: ev.message.id } : {}),
                  role: "assistant",
                },
              });
            } else if (b.type === "tool_use") {
              names.set(b.id, b.name);
              emit({
                type: "agent.tool_call",
                payload: {
                  call_id: b.id,
                  name: b.name,
                  ...optCategory(b.name),
                  input: asRecord(b.input),
                },
              });
            }
          }
        } else if (ev.type === "user") {
          for (const b of Array.isArray(ev.message?.content) ? ev.message.content : []) {
            if (b.type !== "tool_result") continue;
            const text =
              typeof b.content === "string"
                ? b.content
                : (b.content ?? []).map((c: any) => c.text ?? "").join("\n");
            emit({
              type: "agent.tool_result",
              payload: {
                call_id: b.tool_use_id,
                name: names.get(b.tool_use_id) ?? "tool",
                state: b.is_error ? "failed" : "completed",
                output: { text: tail(text, 4000) },
              },
            });
          }
        } else if (ev.type === "result") {
          if (typeof ev.result === "string" && ev.result) p.finalText = ev.result;
          const u = ev.usage ?? {};
          emit({
            type: "usage",
            payload: {
              ...(model ? { model_id: model } : {}),
              input_tokens: u.input_tokens ?? 0,
              output_tokens: u.output_tokens ?? 0,
              ...(u.cache_read_input_tokens
                ? { cache_read_tokens: u.cache_read_input_tokens }
                : {}),
              ...(u.cache_creation_input_tokens
                ? { cache_write_tokens: u.cache_creation_input_tokens }
                : {}),
            },
          });
          if (typeof ev.api_error_status === "number") {
            const f = failure(ev.api_error_status, ev.result);
            p.error = f.message;
            p.errorCode = f.code;
          } else if (ev.is_error || (ev.subtype && ev.subtype !== "success")) {
            p.error = `Claude Code failed (${ev.subtype ?? "error"}): ${ev.result ?? ""}`.trim();
          }
        }
      },
    };
    return p;
  },
};

/**
 * The run's MCP servers in Claude Code's `--mcp-config` JSON, written to a file in the run's
 * private directory (`--mcp-config` takes a path as well as JSON): the resolved env and headers
 * hold secrets, which must not be on the command line (`ps`, /proc/<pid>/cmdline).
 */
function mcpConfig(servers: CliMcpServer[], _ctx: unknown, privateDir: string): CliMcpHandoff {
  if (!servers.length) return { args: [], env: {}, files: {} };
  const mcpServers = Object.fromEntries(
    servers.map((s) => [
      s.name,
      s.kind === "stdio"
        ? { command: s.command, args: s.args, env: s.env }
        : { type: "http", url: s.url, headers: s.headers },
    ]),
  );
  const file = path.join(privateDir, "claude-mcp.json");
  return {
    args: ["--mcp-config", file],
    env: {},
    files: { [file]: JSON.stringify({ mcpServers }) },
  };
}
