import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { hasPlaceholder, resolvePlaceholders, resolveRecord } from "../placeholders.ts";
import type { ErrorCode } from "@ambit/protocol";
import type { HarnessContext } from "../types.ts";
import type { CredentialCheck } from "./types.ts";

type ToolCategory = "command" | "files" | "search" | "integration";

/** Our tool category for a vendor's tool name (Bash, read_file, mcp__x__y, …). */
export function categorize(name: string): ToolCategory | undefined {
  if (/^mcp__|^mcp[_-]/i.test(name)) return "integration";
  if (/bash|shell|command|exec/i.test(name)) return "command";
  if (/grep|search|glob|find|web/i.test(name)) return "search";
  if (/read|write|edit|patch|file|ls|list|todo/i.test(name)) return "files";
  return undefined;
}

export const optCategory = (name: string) => {
  const c = categorize(name);
  return c ? { category: c } : {};
};

export const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : v === undefined
      ? {}
      : { value: v };

/** The model the run asked the vendor CLI to use: `harness.model_id`, else `model_id`. */
export const cliModel = (ctx: HarnessContext) =>
  ctx.config.harness?.model_id ??
  (ctx.config.model_id && ctx.config.model_id !== "auto" ? ctx.config.model_id : undefined);

/**
 * Credentials of a vendor CLI, in this order: the secret named by
 * `harness_auth_secrets.<type>_auth_secret_name` (mapped to the CLI's variable by `mapSecret`),
 * one of the CLI's usual variables among the run's secrets, or the CLI's own login on this host.
 */
export function checkCredentials(
  ctx: HarnessContext,
  o: {
    type: string;
    vars: string[];
    loginFile: string;
    mapSecret: (value: string) => Record<string, string>;
    secretType: string;
  },
): CredentialCheck {
  const field = `${o.type}_auth_secret_name`;
  const named = (ctx.config.harness_auth_secrets as Record<string, unknown> | undefined)?.[field];
  if (typeof named === "string" && named) {
    const value = ctx.env[named];
    if (!value) {
      return {
        ok: false,
        message: `agent_config.harness_auth_secrets.${field} names the secret ${named}, which this run does not have: add a team secret named ${named} or fix the name`,
      };
    }
    return { ok: true, env: o.mapSecret(value) };
  }
  if (o.vars.some((v) => ctx.env[v])) return { ok: true, env: {} };
  const home = ctx.env.HOME ?? homedir();
  if (ctx.backend.kind === "process" && existsSync(path.join(home, o.loginFile)))
    return { ok: true, env: {} };
  return {
    ok: false,
    message: `the ${o.type} harness needs credentials: add a team secret named ${o.vars[0]} (type ${o.secretType}), set agent_config.harness_auth_secrets.${field} to the secret holding them, or log the ${o.type} CLI in on the host`,
  };
}

export type CliMcpServer =
  | { name: string; kind: "stdio"; command: string; args: string[]; env: Record<string, string> }
  | { name: string; kind: "http"; url: string; headers: Record<string, string> };

/** The run's MCP servers with `${NAME}` placeholders resolved, for a CLI's own MCP settings; throws with a message to show. */
export function cliMcpServers(ctx: HarnessContext): CliMcpServer[] {
  return Object.entries(ctx.config.mcp_servers ?? {}).map(([name, s]) => {
    const at = `mcp_servers.${name}`;
    if (s.warp_id)
      throw new Error(
        `MCP server "${name}" is given by warp_id, which an Ambit host cannot resolve: give its command (stdio) or url (HTTP) instead`,
      );
    if (s.command) {
      return {
        name,
        kind: "stdio",
        command: resolvePlaceholders(s.command, ctx.env, `${at}.command`),
        args: (s.args ?? []).map((a, i) => resolvePlaceholders(a, ctx.env, `${at}.args[${i}]`)),
        env: resolveRecord(s.env, ctx.env, `${at}.env`),
      };
    }
    return {
      name,
      kind: "http",
      url: resolvePlaceholders(s.url ?? "", ctx.env, `${at}.url`),
      headers: resolveRecord(s.headers, ctx.env, `${at}.headers`),
    };
  });
}

/**
 * The run's MCP servers for a CLI that expands variables in its own config file (Gemini CLI's
 * `${NAME}`, OpenCode's `{env:NAME}`): each value resolved from a `${…}` placeholder (a secret, as
 * a rule) is replaced by `ref(variable)` and its value goes in `env`, the CLI's environment, so no
 * secret is written to disk. Values the run's config holds verbatim stay in the file.
 */
export function mcpServersByVariable(
  servers: CliMcpServer[],
  ctx: HarnessContext,
  ref: (variable: string) => string,
): { servers: CliMcpServer[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const hide = (given: string | undefined, value: string) => {
    if (!hasPlaceholder(given ?? "")) return value;
    const name = `AMBIT_MCP_${Object.keys(env).length}`;
    env[name] = value;
    return ref(name);
  };
  const each = (rec: Record<string, string>, given: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, hide(given?.[k], v)]));
  const out = servers.map((s): CliMcpServer => {
    const raw = ctx.config.mcp_servers?.[s.name] ?? {};
    return s.kind === "stdio"
      ? {
          ...s,
          command: hide(raw.command, s.command),
          args: s.args.map((a, i) => hide(raw.args?.[i], a)),
          env: each(s.env, raw.env),
        }
      : { ...s, url: hide(raw.url, s.url), headers: each(s.headers, raw.headers) };
  });
  return { servers: out, env };
}

/** Text without terminal colour and cursor codes (vendor CLIs colour their messages). */
export const stripAnsi = (s: string) =>
  s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g, "");

/**
 * A provider's base URL for a vendor CLI: the run's secret (or the host's variable) named `name`,
 * in the one form the team configures it: Anthropic's without `/v1`, OpenAI's with it, Gemini's
 * without a version. `v1: true` adds `/v1` where a CLI needs it, `v1: false` removes it.
 */
export function providerBaseUrl(
  ctx: HarnessContext,
  name: "ANTHROPIC_BASE_URL" | "OPENAI_BASE_URL" | "GOOGLE_GEMINI_BASE_URL",
  v1: boolean,
): string | undefined {
  const raw = (ctx.env[name] || process.env[name])?.trim().replace(/\/+$/, "");
  if (!raw) return undefined;
  const bare = raw.replace(/\/v1$/, "");
  return v1 ? `${bare}/v1` : bare;
}

/** What a vendor CLI's failed model call means for the run: the message to show and its code. */
export function apiFailure(
  cli: string,
  status: number,
  o: { keyVar: string; urlVar: string; model?: string; detail?: string },
): { message: string; code?: ErrorCode } {
  const said = o.detail ? ` (${stripAnsi(o.detail).trim()})` : "";
  if (status === 401 || status === 403) {
    return {
      code: "model_auth_failed",
      message: `${cli} could not use the model API: HTTP ${status}, the key was refused${said}. Fix the team secret ${o.keyVar} (or the one agent_config.harness_auth_secrets names), and ${o.urlVar} if the run uses its own endpoint`,
    };
  }
  if (status === 404) {
    return {
      message: `${cli} could not use the model API: HTTP 404, no model ${o.model ? `"${o.model}" ` : ""}there${said}. Set harness.model_id to a model the provider serves, or fix ${o.urlVar}`,
    };
  }
  if (status === 429) {
    return {
      code: "rate_limited",
      message: `${cli} could not use the model API: HTTP 429, rate limited${said}. Wait and start the run again, or raise the provider's limits`,
    };
  }
  return {
    message: `${cli} could not use the model API: HTTP ${status}${said}. Check the provider's status and ${o.urlVar}`,
  };
}
