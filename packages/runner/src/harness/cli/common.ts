import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { resolvePlaceholders, resolveRecord } from "../placeholders.ts";
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
