// A test harness: runs the prompt's lines as shell commands in the run's backend, reporting each
// as a tool call with its output streamed, so the runner's pipeline carries what a real agent's
// would. Directives (a line starting with `#`):
//   #ask <question>   ask a person (the run is BLOCKED until a follow-up); the answer is printed
//                     as an agent message and exported as $ANSWER to the following commands
//   #wait-followup    wait for a follow-up; it is printed and exported as $FOLLOWUP
//   #say <text>       an agent message
// A failing command ends the run FAILED. Never part of the product: the real harnesses live in
// packages/runner/src/harness/.
import type {
  Harness,
  HarnessContext,
  HarnessOutcome,
} from "../../packages/runner/src/harness/types.ts";

export const shellHarness: Harness = {
  type: "shell-test",
  async run(ctx: HarnessContext): Promise<HarnessOutcome> {
    const vars: Record<string, string> = { WORKSPACE: ctx.workspace };
    let n = 0;
    for (const raw of ctx.prompt.split("\n")) {
      const line = raw.trim();
      if (!line) continue;
      if (line.startsWith("#ask ")) {
        const answer = await ctx.askUser(line.slice(5), ctx.signal);
        ctx.emit({ type: "agent.message", payload: { text: `answer: ${answer}` } });
        vars.ANSWER = answer;
        continue;
      }
      if (line === "#wait-followup") {
        const followup = await ctx.followups.next(ctx.signal);
        ctx.emit({ type: "agent.message", payload: { text: `follow-up: ${followup}` } });
        vars.FOLLOWUP = followup;
        continue;
      }
      if (line.startsWith("#say ")) {
        ctx.emit({ type: "agent.message", payload: { text: line.slice(5) } });
        continue;
      }
      const call_id = `call-${++n}`;
      ctx.emit({
        type: "agent.tool_call",
        payload: { call_id, name: "run_command", category: "command", input: { command: line } },
      });
      const p = ctx.backend.spawn("sh", ["-c", line], { signal: ctx.signal, env: vars });
      p.stdin.end();
      const pipe = (s: NodeJS.ReadableStream, stream: "stdout" | "stderr") =>
        new Promise<void>((resolve) => {
          s.setEncoding("utf8");
          s.on("data", (chunk: string) =>
            ctx.emit({ type: "command.output", payload: { call_id, stream, chunk } }),
          );
          s.on("end", resolve);
          s.on("close", resolve);
        });
      const [status] = await Promise.all([
        p.wait(),
        pipe(p.stdout, "stdout"),
        pipe(p.stderr, "stderr"),
      ]);
      const ok = status.exitCode === 0;
      ctx.emit({
        type: "agent.tool_result",
        payload: {
          call_id,
          name: "run_command",
          state: ok ? "completed" : "failed",
          output: { exit_code: status.exitCode },
        },
      });
      if (ctx.signal.aborted) return { state: "CANCELLED", message: "cancelled" };
      if (!ok)
        return {
          state: "FAILED",
          message: `\`${line}\` exited with ${status.exitCode ?? status.signal}`,
        };
    }
    ctx.emit({ type: "usage", payload: { input_tokens: 10, output_tokens: 5 } });
    return { state: "SUCCEEDED", message: `ran ${n} commands` };
  },
};
