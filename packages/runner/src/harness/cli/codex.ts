import { tail } from "../tools/types.ts";
import { hasPlaceholder } from "../placeholders.ts";
import type { HarnessContext } from "../types.ts";
import {
  apiFailure,
  checkCredentials,
  type CliMcpServer,
  cliModel,
  providerBaseUrl,
} from "./common.ts";
import { codexSessions } from "./sessions.ts";
import type { CliMcpHandoff, CliParser, CliSpec } from "./types.ts";

/**
 * Codex: `codex exec --json`. Lines are `thread.started` (thread_id), `turn.started`,
 * `item.started` / `item.updated` / `item.completed` (items `agent_message`, `command_execution`,
 * `file_change`, `mcp_tool_call`, `web_search`, `reasoning`, `todo_list`, `error`),
 * `turn.completed` (usage), `turn.failed` and `error`. Codex speaks only the Responses API and
 * reads its endpoint only from configuration (`openai_base_url`, given here with `-c`), never
 * from `OPENAI_BASE_URL`; it retries a failed call 5 times ("Reconnecting... 1/5 (…)").
 */
/**
 * Per run, the token totals of the Codex thread last reported: `turn.completed` carries the
 * thread's running totals, which `exec resume` carries on, so each usage event is the difference.
 */
type Totals = { thread?: string; input: number; output: number; cached: number };
const threadTotals = new WeakMap<object, Totals>();

export const codexSpec: CliSpec = {
  type: "codex",
  bin: "codex",
  install: "install Codex on the host (npm i -g @openai/codex) or in the environment's image",
  mcp: mcpOverrides,
  session: codexSessions,
  credentials: (ctx) =>
    checkCredentials(ctx, {
      type: "codex",
      vars: ["OPENAI_API_KEY", "CODEX_API_KEY"],
      secretType: "openai_api_key",
      loginFile: ".codex/auth.json",
      mapSecret: (v) => ({ OPENAI_API_KEY: v, CODEX_API_KEY: v }),
    }),
  // `codex exec` sends only CODEX_API_KEY (an OPENAI_API_KEY alone reaches no request)
  env: (ctx): Record<string, string> =>
    ctx.env.OPENAI_API_KEY && !ctx.env.CODEX_API_KEY
      ? { CODEX_API_KEY: ctx.env.OPENAI_API_KEY }
      : {},
  // the base URL is OpenAI's form, with `/v1`; a URL is no secret, so `-c` may carry it
  config(ctx) {
    const base = providerBaseUrl(ctx, "OPENAI_BASE_URL", true);
    return {
      args: base ? ["-c", `openai_base_url=${JSON.stringify(base)}`] : [],
      env: {},
      files: {},
    };
  },
  args(ctx, prompt, resume, mcpArgs) {
    const model = cliModel(ctx);
    return [
      "exec",
      "--json",
      "--skip-git-repo-check",
      // in a container the container is the sandbox; on the host keep Codex's own workspace
      // sandbox (`exec` never asks for approval)
      ...(ctx.backend.kind === "docker"
        ? ["--dangerously-bypass-approvals-and-sandbox"]
        : ["--sandbox", "workspace-write"]),
      ...(model ? ["-m", model] : []),
      ...mcpArgs,
      ...(resume ? ["resume", resume] : []),
      prompt,
    ];
  },
  parser(emit, ctx) {
    const announced = new Set<string>();
    const model = cliModel(ctx);
    const log = (message: string) =>
      emit({ type: "log", payload: { level: "warning", source: "codex", message } });
    // "unexpected status 401 Unauthorized: …" makes the run's error when the turn failed, or at
    // once when the key was refused (which no retry changes); true for a refused key
    const apiError = (message: string, final: boolean) => {
      const status = Number(/\bstatus (\d{3})\b/.exec(message)?.[1]);
      const keyRefused = status === 401 || status === 403;
      if (!status || !(final || keyRefused)) return false;
      const f = apiFailure("Codex", status, {
        keyVar: "OPENAI_API_KEY",
        urlVar: "OPENAI_BASE_URL",
        model,
        detail: message,
      });
      p.error = f.message;
      p.errorCode = f.code;
      return keyRefused;
    };
    const call = (item: any) => {
      if (announced.has(item.id)) return;
      announced.add(item.id);
      const [name, category, input] = describe(item);
      emit({ type: "agent.tool_call", payload: { call_id: item.id, name, category, input } });
    };
    const p: CliParser = {
      finalText: "",
      line(ev) {
        const item = ev.item;
        switch (ev.type) {
          case "thread.started":
            p.sessionId = ev.thread_id;
            break;
          case "item.started":
            if (item && isTool(item.type)) call(item);
            break;
          case "item.completed":
            if (!item) break;
            if (item.type === "agent_message") {
              p.finalText = item.text ?? "";
              emit({
                type: "agent.message",
                payload: { text: item.text ?? "", message_id: item.id, role: "assistant" },
              });
            } else if (item.type === "error") {
              // an item of the turn, not its end: warnings ("Model metadata for … not found")
              log(item.message ?? "Codex reported a problem");
            } else if (isTool(item.type)) {
              call(item);
              if (item.type === "command_execution" && item.aggregated_output) {
                emit({
                  type: "command.output",
                  payload: { call_id: item.id, stream: "stdout", chunk: item.aggregated_output },
                });
              }
              emit({
                type: "agent.tool_result",
                payload: {
                  call_id: item.id,
                  name: describe(item)[0],
                  state: failed(item) ? "failed" : "completed",
                  output: result(item),
                },
              });
            }
            break;
          case "turn.completed": {
            // the thread's totals so far (a resumed thread counts its earlier turns again):
            // the usage event is what this turn added
            const u = ev.usage ?? {};
            const now: Totals = {
              thread: p.sessionId,
              input: u.input_tokens ?? 0,
              output: u.output_tokens ?? 0,
              cached: u.cached_input_tokens ?? 0,
            };
            const last = threadTotals.get(ctx);
            // a new thread (a follow-up started over) counts from nothing
            const before =
              last && last.thread === now.thread ? last : { input: 0, output: 0, cached: 0 };
            threadTotals.set(ctx, now);
            const cached = Math.max(0, now.cached - before.cached);
            emit({
              type: "usage",
              payload: {
                ...(model ? { model_id: model } : {}),
                input_tokens: Math.max(0, now.input - before.input),
                output_tokens: Math.max(0, now.output - before.output),
                ...(cached ? { cache_read_tokens: cached } : {}),
              },
            });
            break;
          }
          case "turn.failed": {
            const message = ev.error?.message ?? "the Codex turn failed";
            apiError(message, true);
            p.error = p.error ?? message;
            break;
          }
          case "error": {
            const message: string = ev.message ?? "Codex reported an error";
            // also sent for retries it may recover from: the exit code decides, unless the key
            // was refused (which five retries will not change)
            p.hint = message;
            if (/^Reconnecting\b/i.test(message)) {
              log(message);
              if (apiError(message, false)) p.stop = true;
            } else emit({ type: "error", payload: { message } });
            break;
          }
        }
      },
    };
    return p;
  },
};

const TOOL_ITEMS = ["command_execution", "file_change", "mcp_tool_call", "web_search"];
const isTool = (type: string) => TOOL_ITEMS.includes(type);
const failed = (item: any) =>
  item.status === "failed" ||
  item.status === "declined" ||
  (item.type === "command_execution" && item.exit_code !== 0 && item.exit_code != null);

function describe(
  item: any,
): [string, "command" | "files" | "integration" | "search", Record<string, unknown>] {
  switch (item.type) {
    case "command_execution":
      return ["shell", "command", { command: item.command }];
    case "file_change":
      return ["apply_patch", "files", { changes: item.changes ?? [] }];
    case "mcp_tool_call":
      return [`${item.server}__${item.tool}`, "integration", { arguments: item.arguments ?? {} }];
    default:
      return ["web_search", "search", { query: item.query }];
  }
}

function result(item: any): Record<string, unknown> {
  switch (item.type) {
    case "command_execution":
      return {
        exit_code: item.exit_code ?? null,
        output: tail(item.aggregated_output ?? "", 4000),
      };
    case "file_change":
      return { status: item.status, changes: item.changes ?? [] };
    case "mcp_tool_call":
      return item.error
        ? { error: item.error.message ?? item.error }
        : { result: item.result ?? null };
    default:
      return { status: item.status ?? "completed" };
  }
}

/**
 * The run's MCP servers as `-c mcp_servers.<name>.<key>=<TOML value>` overrides: nothing is
 * written to Codex's config and nothing outlives the run. JSON strings and string arrays are valid TOML.
 *
 * What the run's config holds verbatim goes on the command line; a value resolved from a
 * `${NAME}` placeholder (a secret, as a rule) never does, since argv is readable by every local
 * user (`ps`). It reaches Codex through its own indirection by variable name, the value in Codex's
 * environment: an HTTP header through `env_http_headers` (header → variable; Codex sends the
 * variable's value), a stdio server's variable through `env_vars` (variables Codex forwards from
 * its own environment to the server, under the same name). Codex has no such indirection for a
 * command, an argument or a URL, so a placeholder there is refused rather than leaked.
 * (A stdio server's variable is thereby in Codex's own environment too, as the run's secrets are
 * already: the backend hands every process of the run its secrets.) A private
 * config file is no option: Codex reads config only from `$CODEX_HOME` (replacing it would lose the
 * host's login, `auth.json`) and from a trusted project's `.codex/` (the workspace, which is committed).
 */
function mcpOverrides(servers: CliMcpServer[], ctx: HarnessContext): CliMcpHandoff {
  const table = (rec: Record<string, string>) =>
    `{${Object.entries(rec)
      .map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`)
      .join(", ")}}`;
  const env: Record<string, string> = {};
  const args = servers.flatMap((s, i) => {
    const key = /^[A-Za-z0-9_-]+$/.test(s.name) ? s.name : JSON.stringify(s.name);
    const raw = ctx.config.mcp_servers?.[s.name] ?? {};
    const set = (k: string, v: string) => ["-c", `mcp_servers.${key}.${k}=${v}`];
    // headless, with approvals "never", Codex refuses every MCP tool call needing approval
    // ("MCP tool call requires approval, but approval policy is never"): the run's servers are
    // the team's choice, so their tools are approved
    const approved = set("default_tools_approval_mode", '"approve"');
    const split = (resolved: Record<string, string>, given: Record<string, string> | undefined) => {
      const literal: Record<string, string> = {};
      const secret: Record<string, string> = {};
      for (const [k, v] of Object.entries(resolved))
        (hasPlaceholder(given?.[k] ?? "") ? secret : literal)[k] = v;
      return [literal, secret];
    };
    const refuse = (field: string) => {
      throw new Error(
        `mcp_servers.${s.name}.${field} holds a \${…} placeholder, which Codex could only get on its command line, readable by every local user: move the secret to the server's ${s.kind === "stdio" ? "env" : "headers"}, or run with the claude or ambit harness`,
      );
    };
    if (s.kind === "stdio") {
      if (hasPlaceholder(raw.command ?? "")) refuse("command");
      for (const [j, a] of (raw.args ?? []).entries()) if (hasPlaceholder(a)) refuse(`args[${j}]`);
      const [literal, secret] = split(s.env, raw.env);
      for (const [k, v] of Object.entries(secret)) {
        if (k in env && env[k] !== v) {
          throw new Error(
            `two MCP servers set ${k} to different values; Codex forwards a variable to its MCP servers under the name it has in Codex's environment, so one name has one value: rename the variable of one server, or run with the claude or ambit harness`,
          );
        }
        env[k] = v;
      }
      return [
        ...set("command", JSON.stringify(s.command)),
        ...set("args", JSON.stringify(s.args)),
        ...(Object.keys(literal).length ? set("env", table(literal)) : []),
        ...(Object.keys(secret).length ? set("env_vars", JSON.stringify(Object.keys(secret))) : []),
        ...approved,
      ];
    }
    if (hasPlaceholder(raw.url ?? "")) refuse("url");
    const [literal, secret] = split(s.headers, raw.headers);
    const byVar = Object.fromEntries(
      Object.keys(secret).map((h, j) => [h, `AMBIT_MCP_${i}_HEADER_${j}`]),
    );
    for (const [h, name] of Object.entries(byVar)) env[name] = secret[h];
    return [
      ...set("url", JSON.stringify(s.url)),
      ...(Object.keys(literal).length ? set("http_headers", table(literal)) : []),
      ...(Object.keys(byVar).length ? set("env_http_headers", table(byVar)) : []),
      ...approved,
    ];
  });
  return { args, env, files: {} };
}
