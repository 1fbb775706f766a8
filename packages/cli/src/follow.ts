import { createInterface } from "node:readline";
import { isTerminal } from "@ambit/protocol";
import type { Ambit, RunEvent, RunItem } from "@ambit/sdk";
import { exitForState, EXIT } from "./exit-codes.ts";
import { clock, type Io, painter } from "./output.ts";
import { renderEvent } from "./render-event.ts";

export type FollowOptions = {
  /** Print events as JSON lines instead of the progress view. */
  json: boolean;
  /** Read follow-ups from stdin (one per line) when the key may steer the run. */
  input: boolean;
  /** Replay from this seq (default 0: the whole log). */
  after?: number;
  /** Ctrl-C calls this first; when it answers true the view goes on (e.g. to show the run being cancelled). */
  onInterrupt?: () => boolean;
  /** Ends the view early (as a detach). */
  signal?: AbortSignal;
};

/**
 * Streams a run until it ends: the progress view (state, elapsed time, the agent's messages,
 * tool calls and command output as they happen) or JSON lines. Answers the exit code of its final state.
 */
export async function followRun(
  client: Ambit,
  io: Io,
  runId: string,
  opts: FollowOptions,
): Promise<number> {
  const paint = painter(io.out, io.env);
  const run = await client.agent.runs.retrieve(runId);
  const since = Date.parse(run.created_at);
  const elapsed = () => clock(Date.now() - since);
  const interactive = opts.input && !!io.stdin.isTTY;
  const statusLine = !opts.json && !!io.out.isTTY && !interactive;
  let state = run.state;
  let status = "";

  const drawStatus = () => {
    if (!statusLine) return;
    status = `${paint("bold", `● ${state}`)} ${paint("gray", `${elapsed()} · run ${runId} · Ctrl-C to ${opts.onInterrupt ? "cancel" : "detach"}`)}`;
    io.out.write(`\r\x1b[K${status}`);
  };
  const print = (text: string) => {
    if (statusLine && status) io.out.write("\r\x1b[K");
    io.out.write(`${text}\n`);
    drawStatus();
  };
  const show = (e: RunEvent) => {
    if (opts.json) return io.out.write(`${JSON.stringify(e)}\n`);
    const r = renderEvent(e);
    if (!r) return;
    const at = clock(Date.parse(e.at) - since);
    const lines = r.text.split("\n");
    print(
      lines
        .map(
          (l, i) =>
            `${paint("gray", i === 0 ? `[${at}]` : " ".repeat(at.length + 2))} ${r.style ? paint(r.style, l) : l}`,
        )
        .join("\n"),
    );
  };

  if (!opts.json)
    print(
      `${paint("bold", run.title || run.prompt.slice(0, 80))} ${paint("gray", `(run ${runId})`)}`,
    );
  const ac = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (opts.onInterrupt?.()) return;
    interrupted = true;
    ac.abort();
  };
  process.on("SIGINT", onSigint);
  opts.signal?.addEventListener("abort", () => ac.abort(), { once: true });
  const timer = statusLine ? setInterval(drawStatus, 1000) : undefined;
  const stopInput =
    opts.input && !isTerminal(run.state)
      ? await readFollowups(client, io, runId, print, paint)
      : () => {};
  try {
    const stream = client.agent.runs.stream(runId, { after: opts.after ?? 0, signal: ac.signal });
    for await (const event of stream) {
      if (event.type === "run.state_changed") state = event.payload.to;
      show(event);
      if (state === "BLOCKED" && event.type === "run.state_changed" && !opts.json && !opts.input) {
        print(
          paint(
            "yellow",
            `The agent waits for an answer: ambit run follow ${runId}, then type it (or POST …/followups).`,
          ),
        );
      }
    }
  } finally {
    clearInterval(timer);
    stopInput();
    process.off("SIGINT", onSigint);
    if (statusLine && status) io.out.write("\r\x1b[K");
  }
  if (opts.signal?.aborted) return EXIT.INTERRUPTED;
  if (interrupted) {
    io.err.write(`detached; the run goes on. Attach again with: ambit run follow ${runId}\n`);
    return EXIT.INTERRUPTED;
  }
  const final: RunItem = await client.agent.runs.retrieve(runId);
  if (!opts.json) {
    const style =
      final.state === "SUCCEEDED" ? "green" : final.state === "CANCELLED" ? "yellow" : "red";
    const msg = final.status_message?.message ? ` — ${final.status_message.message}` : "";
    // written as it is, not through print(): the run is over, no live status line goes under it
    io.out.write(
      `${paint(style, paint("bold", final.state))} after ${final.run_time ? final.run_time.replace(/^PT/, "").toLowerCase() : elapsed()}${msg}\n`,
    );
  }
  return exitForState(final.state);
}

/** Sends each line typed on stdin as a follow-up, when the key may steer; answers a stopper. */
async function readFollowups(
  client: Ambit,
  io: Io,
  runId: string,
  print: (t: string) => void,
  paint: ReturnType<typeof painter>,
) {
  const { access } = await client.agent.runs.sessionToken(runId);
  if (access !== "EDITOR") {
    if (io.stdin.isTTY)
      print(paint("gray", "(watching read-only: your key may not send follow-ups to this run)"));
    return () => {};
  }
  if (io.stdin.isTTY)
    print(paint("gray", "Type a message and press Enter to send a follow-up to the agent."));
  const rl = createInterface({ input: io.stdin, terminal: false });
  rl.on("line", (line) => {
    const message = line.trim();
    if (!message) return;
    client.agent.runs.followup(runId, { message }).then(
      () => print(paint("magenta", `→ follow-up sent: ${message}`)),
      (err: unknown) =>
        print(
          paint("red", `follow-up not sent: ${err instanceof Error ? err.message : String(err)}`),
        ),
    );
  });
  return () => {
    rl.close();
    if ("destroy" in io.stdin && typeof io.stdin.destroy === "function") io.stdin.destroy();
  };
}
