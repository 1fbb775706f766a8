// When a failed attempt is tried again: about a day in all, per Standard Webhooks' advice. Each
// entry is the wait after the attempt of that index in the series fails; past the last, the
// delivery gives up. Cloudflare Queues delay a message by at most 12 h (43,200 s).

const SECOND = 1;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Waits (seconds) after failed attempts 1, 2, …: the 8th attempt is ≈ 27.6 h after the first. */
export const RETRY_DELAYS_S = [
  5,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];
export const MAX_DELAY_S = 43_200;

/**
 * Seconds to wait before the next attempt, or null to give up. `index`: the failed attempt's
 * place in its series (0 = the first); `retryAfter`: the answer's `Retry-After`, honoured within
 * the queue's limit when it asks for longer than the schedule.
 */
export function nextDelay(
  index: number,
  retryAfter: string | null,
  schedule: number[] = RETRY_DELAYS_S,
): number | null {
  const planned = schedule[index];
  if (planned === undefined) return null;
  const asked = retryAfterSeconds(retryAfter);
  return Math.min(MAX_DELAY_S, Math.max(planned, asked ?? 0));
}

function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
