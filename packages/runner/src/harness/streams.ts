/**
 * Reads a process's output stream chunk by chunk until it ends. A command that could not be
 * started has empty, ended streams (the backend's contract); how it ended is its exit status.
 */
export async function forEachChunk(stream: NodeJS.ReadableStream, fn: (chunk: string) => void) {
  stream.setEncoding("utf8"); // a multi-byte character split across chunks stays whole
  for await (const chunk of stream) fn(String(chunk));
}

/** Like `forEachChunk`, line by line (the last line may lack its newline). */
export async function forEachLine(stream: NodeJS.ReadableStream, fn: (line: string) => void) {
  let rest = "";
  await forEachChunk(stream, (chunk) => {
    const lines = (rest + chunk).split(/\r?\n/);
    rest = lines.pop()!;
    for (const line of lines) fn(line);
  });
  if (rest) fn(rest);
}
