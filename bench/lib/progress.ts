// Small helpers of the dispatch benchmark: log lines, a progress line printed every second, and
// bounded concurrency.

export const log = (msg: string) => console.log(`• ${msg}`);

/** A progress line: rewritten in place on a terminal, one line per update otherwise. */
export function status(line: string) {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line}`);
  else console.log(line);
}

/** Prints `line()` every second until the returned function is called (which prints it once more). */
export function everySecond(line: () => string): () => void {
  const timer = setInterval(() => status(line()), 1000);
  return () => {
    clearInterval(timer);
    status(line());
    if (process.stdout.isTTY) process.stdout.write("\n");
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn(0) … fn(n − 1)` with at most `limit` calls in flight. */
export async function bounded(n: number, limit: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

/** Resolves once `cond()` holds (checked every `tickMs`); throws after `timeoutMs`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  tickMs = 20,
) {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(tickMs);
  }
}
