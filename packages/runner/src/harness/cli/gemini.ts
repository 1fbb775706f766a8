import { tail } from "../tools/types.ts";
import path from "node:path";
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
import type { HarnessContext } from "../types.ts";
import { geminiPrivateHome, geminiSessions } from "./sessions.ts";
import type { CliMcpHandoff, CliParser, CliSpec } from "./types.ts";

/**
 * Gemini CLI: `gemini -p <prompt> --output-format stream-json`. Lines are `init` (session_id,
 * model), `message` (role, content, `delta` for chunks), `tool_use` (tool_name, tool_id,
 * parameters), `tool_result` (tool_id, status, output / error), `error` and `result` (status, stats).
 * Headless, it refuses an untrusted folder (exit 55) unless `--skip-trust`; with
 * `GOOGLE_GEMINI_BASE_URL` set it picks a "gateway" auth it then rejects (exit 41) unless the
 * settings select `gemini-api-key`.
 */
export const geminiSpec: CliSpec = {
  type: "gemini",
  bin: "gemini",
  install:
    "install Gemini CLI on the host (npm i -g @google/gemini-cli) or in the environment's image",
  mcp: settingsHome,
  session: geminiSessions,
  credentials: (ctx) =>
    checkCredentials(ctx, {
      type: "gemini",
      vars: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
      secretType: "raw_value",
      loginFile: ".gemini/oauth_creds.json",
      mapSecret: (v) => ({ GEMINI_API_KEY: v }),
    }),
  args(ctx, prompt, resume) {
    const model = cliModel(ctx);
    return [
      "-p",
      prompt,
      "--output-format",
      "stream-json",
      "--yolo",
      // the run's workspace is the run's: trusted (the CLI's own prompt cannot be answered here)
      "--skip-trust",
      ...(model ? ["-m", model] : []),
      ...(resume ? ["--resume", resume] : []),
    ];
  },
  parser(emit, ctx) {
    const names = new Map<string, string>();
    let model: string | undefined;
    let text = "";
    const flush = () => {
      if (!text) return;
      p.finalText = text;
      emit({ type: "agent.message", payload: { text, role: "assistant" } });
      text = "";
    };
    const p: CliParser = {
      finalText: "",
      line(ev) {
        switch (ev.type) {
          case "init":
            p.sessionId = ev.session_id;
            model = ev.model;
            break;
          case "message":
            if (ev.role !== "assistant") break;
            if (ev.delta) text += ev.content ?? "";
            else {
              flush();
              text = ev.content ?? "";
              flush();
            }
            break;
          case "tool_use":
            flush();
            names.set(ev.tool_id, ev.tool_name);
            emit({
              type: "agent.tool_call",
              payload: {
                call_id: ev.tool_id,
                name: ev.tool_name,
                ...optCategory(ev.tool_name),
                input: asRecord(ev.parameters),
              },
            });
            break;
          case "tool_result":
            emit({
              type: "agent.tool_result",
              payload: {
                call_id: ev.tool_id,
                name: names.get(ev.tool_id) ?? "tool",
                state: ev.status === "success" ? "completed" : "failed",
                output: ev.error
                  ? { error: ev.error.message ?? ev.error }
                  : { output: tail(String(ev.output ?? ""), 4000) },
              },
            });
            break;
          case "error":
            p.hint = ev.message ?? "Gemini CLI reported an error";
            emit({ type: "error", payload: { message: p.hint } });
            break;
          case "result": {
            flush();
            const s = ev.stats ?? {};
            emit({
              type: "usage",
              payload: {
                ...(model ? { model_id: model } : {}),
                input_tokens: s.input_tokens ?? 0,
                output_tokens: s.output_tokens ?? 0,
                ...(s.cached ? { cache_read_tokens: s.cached } : {}),
              },
            });
            if (ev.status && ev.status !== "success") {
              const said: string = ev.error?.message ?? `Gemini CLI ended with status ${ev.status}`;
              // "[API Error: {…"code": 401…}]": the API's own status, when the message has it
              const status = Number(
                /"code":\s*(\d{3})|\bstatus:? (\d{3})\b/.exec(said)?.slice(1).find(Boolean),
              );
              if (status) {
                const f = apiFailure("Gemini CLI", status, {
                  keyVar: "GEMINI_API_KEY",
                  urlVar: "GOOGLE_GEMINI_BASE_URL",
                  model: cliModel(ctx) ?? model,
                  detail: said,
                });
                p.error = f.message;
                p.errorCode = f.code;
              } else p.error = said;
            }
            break;
          }
        }
      },
    };
    return p;
  },
};

/**
 * Gemini CLI's settings for the run, in a private home (`GEMINI_CLI_HOME`, `geminiPrivateHome`;
 * the host's own ~/.gemini stays untouched): a custom endpoint (Gemini's form, no version: the
 * CLI adds `/v1beta`) with the API key auth, and the run's MCP servers as `mcpServers`, `trust`ed
 * so that their tools run without a confirmation nobody could give headless. Without either the
 * host's home is used, its login included (in a container the home is always the private one:
 * its sessions are kept from there). (A settings file of its own,
 * `GEMINI_CLI_SYSTEM_SETTINGS_PATH`, is no option: Gemini skips one below a folder others may
 * write, as /tmp is.) Secrets stay out of the file: Gemini expands `${NAME}` in its settings, and
 * the values are in its environment.
 */
function settingsHome(
  given: CliMcpServer[],
  ctx: HarnessContext,
  _privateDir: string,
): CliMcpHandoff {
  const home = geminiPrivateHome(ctx);
  if (!home) return { args: [], env: {}, files: {} };
  const base = providerBaseUrl(ctx, "GOOGLE_GEMINI_BASE_URL", false);
  const { servers, env } = mcpServersByVariable(given, ctx, (name) => `\${${name}}`);
  const mcpServers = Object.fromEntries(
    servers.map((s) => [
      s.name,
      s.kind === "stdio"
        ? { command: s.command, args: s.args, env: s.env, trust: true }
        : { httpUrl: s.url, headers: s.headers, trust: true },
    ]),
  );
  const settings = {
    ...(base ? { security: { auth: { selectedType: "gemini-api-key" } } } : {}),
    ...(servers.length ? { mcpServers } : {}),
  };
  return {
    args: [],
    env: { ...env, ...(base ? { GOOGLE_GEMINI_BASE_URL: base } : {}), GEMINI_CLI_HOME: home },
    files: { [path.join(home, ".gemini", "settings.json")]: JSON.stringify(settings) },
  };
}
