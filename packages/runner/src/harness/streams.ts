/**
 * Reads a process's output stream chunk by chunk. A stream the backend destroyed (the command
 * could not be started: ENOENT) just ends; how the process ended is told by its exit status.
 */
export async function forEachChunk(stream: NodeJS.ReadableStream, fn: (chunk: string) => void) {
  stream.setEncoding("utf8"); // a multi-byte character split across chunks stays whole
  try {
    for await (const chunk of stream) fn(String(chunk));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw err;
  }
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
