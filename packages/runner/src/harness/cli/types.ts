import type { ErrorCode } from "@ambit/protocol";
import type { HarnessContext, HarnessEvent } from "../types.ts";
import type { CliMcpServer } from "./common.ts";
import type { CliSessionCommands, CliSessionStore } from "./sessions.ts";

/** Turns one vendor CLI's JSON lines into our events and remembers what the run needs at the end. */
export interface CliParser {
  line(obj: Record<string, any>): void;
  /** the vendor's session/thread id, to resume the conversation for a follow-up */
  sessionId?: string;
  /** the agent's last message */
  finalText: string;
  /** an error the stream reported as fatal: the run fails even if the CLI exits 0 */
  error?: string;
  /** the run's error code for `error` (e.g. `model_auth_failed`) */
  errorCode?: ErrorCode;
  /**
   * set with `error` when waiting for the CLI is pointless (a refused key it would retry for
   * minutes): the CLI is stopped and the run fails with `error` at once
   */
  stop?: boolean;
  /** the last non-fatal error the stream reported: the reason shown if the CLI then exits non-zero */
  hint?: string;
}

export type CredentialCheck =
  | { ok: true; env: Record<string, string> }
  | { ok: false; message: string };

/** What differs between vendor CLIs; `runCliHarness` does the rest. */
export interface CliSpec {
  type: string;
  bin: string;
  /** how to install the CLI, quoted when it is missing */
  install: string;
  credentials(ctx: HarnessContext): CredentialCheck;
  /**
   * How the run's `mcp_servers` reach the CLI (every CLI takes them; called with none too).
   * Resolved secrets never go on the command line: they travel in `env` or in `files`, which
   * `runCli` writes (0600) at the given paths in the backend's private directory and removes at
   * the end.
   */
  mcp(servers: CliMcpServer[], ctx: HarnessContext, privateDir: string): CliMcpHandoff;
  /** variables the CLI needs besides its credentials */
  env?(ctx: HarnessContext): Record<string, string>;
  /**
   * The CLI's configuration for this run (base URL, auth method) as arguments, variables and
   * files in the private directory (written like the MCP handoff's; parent folders are made).
   */
  config?(ctx: HarnessContext, privateDir: string): CliMcpHandoff;
  /** the command line; `mcpArgs` is what `mcp` returned, for the spec to place */
  args(
    ctx: HarnessContext,
    prompt: string,
    resume: string | undefined,
    mcpArgs: string[],
  ): string[];
  parser(emit: (e: HarnessEvent) => void, ctx: HarnessContext): CliParser;
  /** where the CLI keeps its sessions: kept in the run's checkpoints, resumed from them */
  session?: CliSessionStore | CliSessionCommands;
}

/** What a CLI is handed so that it starts the run's MCP servers. */
export type CliMcpHandoff = {
  /** arguments (never a secret value) */
  args: string[];
  /** variables added to the CLI's environment */
  env: Record<string, string>;
  /** absolute path → content: files to write (0600) before the CLI starts */
  files: Record<string, string>;
};
