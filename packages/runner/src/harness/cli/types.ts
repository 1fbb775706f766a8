import type { HarnessContext, HarnessEvent } from "../types.ts";

/** Turns one vendor CLI's JSON lines into our events and remembers what the run needs at the end. */
export interface CliParser {
  line(obj: Record<string, any>): void;
  /** the vendor's session/thread id, to resume the conversation for a follow-up */
  sessionId?: string;
  /** the agent's last message */
  finalText: string;
  /** an error the stream reported as fatal: the run fails even if the CLI exits 0 */
  error?: string;
  /** the last non-fatal error the stream reported: the reason shown if the CLI then exits non-zero */
  hint?: string;
}

export type CredentialCheck = { ok: true; env: Record<string, string> } | { ok: false; message: string };

/** What differs between vendor CLIs; `runCliHarness` does the rest. */
export interface CliSpec {
  type: string;
  bin: string;
  /** how to install the CLI, quoted when it is missing */
  install: string;
  credentials(ctx: HarnessContext): CredentialCheck;
  /** whether the run's `mcp_servers` are handed to the CLI (a run that has some fails otherwise) */
  passesMcpServers: boolean;
  /** variables the CLI needs besides its credentials */
  env?(ctx: HarnessContext): Record<string, string>;
  args(ctx: HarnessContext, prompt: string, resume: string | undefined): string[];
  parser(emit: (e: HarnessEvent) => void, ctx: HarnessContext): CliParser;
}
