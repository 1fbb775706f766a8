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
  // echo off before the prompt shows: what is typed the moment it appears is not echoed either
  stdin.setRawMode?.(true);
  io.err.write(prompt);
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

/**
 * A secret's value for `secret set`: the whole of `--from-file`, else the whole of stdin when it
 * is piped, else a hidden prompt on a terminal. One trailing newline (what `echo` or an editor
 * adds) is dropped; the value is never an argument, so it stays out of shell history.
 */
export async function readSecretValue(
  io: Io,
  opts: { file?: string; prompt: string; readFile: (file: string) => string },
): Promise<string> {
  if (opts.file !== undefined)
    return opts.file === "-"
      ? dropNewline(await readAll(io))
      : dropNewline(opts.readFile(opts.file));
  if (io.stdin.isTTY) return readSecret(io, opts.prompt);
  return dropNewline(await readAll(io));
}

async function readAll(io: Io): Promise<string> {
  let text = "";
  for await (const chunk of io.stdin) text += chunk.toString();
  return text;
}

const dropNewline = (text: string) => text.replace(/\r?\n$/, "");
