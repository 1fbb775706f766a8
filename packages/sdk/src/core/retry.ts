// When and how long to wait before retrying, as the Stainless runtime does (reference/oz-api.md §3.5),
// except that Ambit's `x-should-retry` answer always wins over the status rules.

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;
/** A server-requested wait longer than this is not honoured (we back off instead). */
const MAX_HONOURED_WAIT_MS = 60_000;

/** Whether an answer with this status and headers is worth trying again. */
export function shouldRetry(response: Response): boolean {
  const header = response.headers.get("x-should-retry");
  if (header === "true") return true;
  if (header === "false") return false;
  const s = response.status;
  return s === 408 || s === 409 || s === 429 || s >= 500;
}

/** Milliseconds to wait before retry number `retry` (1-based): `retry-after-ms`, `retry-after`, else backoff with jitter. */
export function retryDelayMs(retry: number, headers?: Headers): number {
  const asked = serverWaitMs(headers);
  if (asked !== undefined && asked >= 0 && asked <= MAX_HONOURED_WAIT_MS) return asked;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** (retry - 1), MAX_DELAY_MS);
  return base * (1 - Math.random() * 0.25);
}

function serverWaitMs(headers?: Headers): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const after = headers?.get("retry-after");
  if (!after) return undefined;
  if (Number.isFinite(Number(after))) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
