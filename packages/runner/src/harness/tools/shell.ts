import { forEachChunk } from "../streams.ts";
import type { HarnessContext } from "../types.ts";
import { num, ok, str, tail, type Tool } from "./types.ts";

const DEFAULT_TIMEOUT_S = 300;
const MAX_TIMEOUT_S = 3600;
const MAX_RESULT = 30_000;

/**
 * Runs `command` with `sh -c` in the run's backend (so docker runs stay in their container),
 * streams its output as `command.output` events of this call, and kills the whole process tree
 * on timeout or when the run is cancelled.
 */
export const shellTool: Tool = {
  name: "run_shell_command",
  category: "command",
  description:
    "Run a shell command (sh -c) in the workspace and get its output and exit code. Non-interactive: stdin is closed. Default timeout 300 s (`timeout_seconds`, max 3600).",
  inputSchema: {
    type: "object",
    properties: { command: { type: "string" }, timeout_seconds: { type: "number" } },
    required: ["command"],
  },
  async run(input, call, ctx) {
    const command = str(input, "command");
    const timeoutS = Math.min(num(input, "timeout_seconds", DEFAULT_TIMEOUT_S), MAX_TIMEOUT_S);
    const { output, status } = await runStreamed(ctx, "sh", ["-c", command], {
      callId: call.id,
      timeoutMs: timeoutS * 1000,
    });
    const how = status.timedOut
      ? `timed out after ${timeoutS} s and was killed`
      : status.exitCode === null
        ? `was killed by ${status.signal}`
        : `exited with code ${status.exitCode}`;
    const content = `${tail(output, MAX_RESULT)}\n[the command ${how}]`;
    const result = {
      exit_code: status.exitCode,
      timed_out: status.timedOut,
      output: tail(output, 4000),
    };
    return { ...ok(content, result), isError: status.exitCode !== 0 };
  },
};

/** Spawns in the backend, emitting each stdout/stderr chunk as `command.output`, and collects both. */
export async function runStreamed(
  ctx: HarnessContext,
  command: string,
  args: string[],
  opts: { callId?: string; timeoutMs?: number; quiet?: boolean },
) {
  const p = ctx.backend.spawn(command, args, { timeoutMs: opts.timeoutMs, signal: ctx.signal });
  p.stdin.end();
  let output = "";
  const pump = (stream: NodeJS.ReadableStream, name: "stdout" | "stderr") =>
    forEachChunk(stream, (text) => {
      output += text;
      if (output.length > 4 * MAX_RESULT) output = output.slice(-2 * MAX_RESULT);
      if (!opts.quiet)
        ctx.emit({
          type: "command.output",
          payload: { ...(opts.callId ? { call_id: opts.callId } : {}), stream: name, chunk: text },
        });
    });
  const [status] = await Promise.all([
    p.wait(),
    pump(p.stdout, "stdout"),
    pump(p.stderr, "stderr"),
  ]);
  return { output, status };
}
