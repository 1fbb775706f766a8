import type { Readable } from "node:stream";
import type { HarnessEvent } from "../harness/types.ts";
import type { RunProcess } from "../backends/types.ts";

/** The last `max` characters of a process's output, kept while it streams. */
export class Tail {
  private text = "";
  private readonly max: number;
  constructor(max = 4_000) {
    this.max = max;
  }
  add(chunk: string) {
    this.text = (this.text + chunk).slice(-this.max);
  }
  toString() {
    return this.text;
  }
}

/**
 * Streams a process's stdout and stderr as `command.output` events (tagged with `call_id`) and
 * keeps the tail of both; resolves with the exit status once the process and its streams are done.
 */
export async function streamProcess(
  p: RunProcess,
  emit: (e: HarnessEvent) => void,
  call_id: string,
  tail = new Tail(),
) {
  const pipe = (s: Readable, stream: "stdout" | "stderr") =>
    new Promise<void>((resolve) => {
      s.setEncoding("utf8");
      s.on("data", (chunk: string) => {
        tail.add(chunk);
        emit({ type: "command.output", payload: { call_id, stream, chunk } });
      });
      s.once("end", resolve);
      s.once("close", resolve);
      s.once("error", () => resolve());
    });
  const [status] = await Promise.all([
    p.wait(),
    pipe(p.stdout, "stdout"),
    pipe(p.stderr, "stderr"),
  ]);
  return { status, tail: tail.toString() };
}
