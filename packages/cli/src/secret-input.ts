import type { Io } from "./output.ts";

/**
 * Reads a secret: from a hidden prompt on a terminal, else the first line of stdin (a pipe or
 * file), so it never has to appear in argv or shell history.
 */
export async function readSecret(io: Io, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY) {
    let text = "";
    for await (const chunk of stdin) text += chunk.toString();
    return text.split(/\r?\n/)[0].trim();
  }
  io.err.write(prompt);
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const done = (fn: () => void) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      io.err.write("\n");
      fn();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return done(() => resolve(value.trim()));
        if (ch === "\u0003") return done(() => reject(new Error("cancelled")));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
