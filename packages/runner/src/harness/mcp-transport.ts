import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Backend, ExitStatus, RunProcess } from "../backends/types.ts";

const STDERR_TAIL = 4000;

/**
 * MCP's stdio transport over a process of the run's backend, so a stdio server runs where the
 * run's other processes run (its container, its clean environment) and dies with the run. The
 * SDK's own `StdioClientTransport` would spawn on the host directly.
 */
export class BackendStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  stderrTail = "";
  exit: ExitStatus | undefined;
  private proc: RunProcess | undefined;
  private readonly buffer = new ReadBuffer();

  private readonly backend: Backend;
  private readonly command: string;
  private readonly args: string[];
  private readonly env: Record<string, string>;

  constructor(backend: Backend, command: string, args: string[], env: Record<string, string>) {
    this.backend = backend;
    this.command = command;
    this.args = args;
    this.env = env;
  }

  async start() {
    const proc = this.backend.spawn(this.command, this.args, { env: this.env });
    this.proc = proc;
    proc.stdout.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        try {
          const message = this.buffer.readMessage();
          if (!message) break;
          this.onmessage?.(message);
        } catch (err) {
          this.onerror?.(err as Error);
        }
      }
    });
    proc.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + String(chunk)).slice(-STDERR_TAIL);
    });
    void proc.wait().then((status) => {
      this.exit = status;
      this.onclose?.();
    });
  }

  async send(message: JSONRPCMessage) {
    const stdin = this.proc?.stdin;
    if (!stdin || stdin.destroyed || this.exit)
      throw new Error("the MCP server process is not running");
    if (!stdin.write(serializeMessage(message))) await new Promise((r) => stdin.once("drain", r));
  }

  async close() {
    if (!this.proc || this.exit) return;
    this.proc.stdin.end();
    this.proc.kill("SIGTERM");
    await this.proc.wait();
  }

  /** Waits up to `ms` for the process to exit (to report its exit code after a failed start). */
  async settled(ms: number): Promise<ExitStatus | undefined> {
    if (!this.proc) return undefined;
    await Promise.race([this.proc.wait(), new Promise((r) => setTimeout(r, ms))]);
    return this.exit;
  }
}
