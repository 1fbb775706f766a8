import type { RunStatsQuery } from "@ambit/protocol";
import { AppError } from "../../lib/errors.ts";
import { addDays, DAY_MS, localDate, startOfDate } from "../../lib/time-zone.ts";

/** The default range: the last 30 days in `tz`, today included. */
export const DEFAULT_DAYS = 30;
/**
 * The longest range one request may ask for: any calendar quarter (92 days). The answer scans
 * every run created in the range, so the cap bounds its cost; the benchmark measures 90 days.
 */
export const MAX_DAYS = 92;

const isDate = (v: string) => v.length === 10;

/**
 * The instants [from, to) of a stats query. A date means its midnight in `tz`; as `to`, the whole
 * day is included (the range ends at the next midnight). Without `to`: now. Without `from`: the
 * midnight (in `tz`) 29 days before `to`'s day. At most `maxDays` apart.
 */
export function resolveRange(
  q: Pick<RunStatsQuery, "from" | "to" | "tz">,
  now: number,
  maxDays = MAX_DAYS,
): { from: number; to: number } {
  const to =
    q.to === undefined
      ? now
      : isDate(q.to)
        ? startOfDate(addDays(q.to, 1), q.tz)
        : Date.parse(q.to);
  const from =
    q.from === undefined
      ? startOfDate(addDays(localDate(to - 1, q.tz), -(DEFAULT_DAYS - 1)), q.tz)
      : isDate(q.from)
        ? startOfDate(q.from, q.tz)
        : Date.parse(q.from);
  if (from >= to) {
    const [f, t] = [new Date(from).toISOString(), new Date(to).toISOString()];
    throw invalid("from", `from (${f}) must be before to (${t}); swap them or widen the range`);
  }
  // an hour of slack: a range of whole days across a daylight-saving change is an hour longer
  if (to - from > maxDays * DAY_MS + 3_600_000) {
    const days = Math.ceil((to - from) / DAY_MS);
    throw invalid(
      q.from === undefined ? "to" : "from",
      `the range spans ${days} days and at most ${maxDays} may be asked at once; ` +
        "narrow from/to (ask several ranges for a longer view)",
    );
  }
  return { from, to };
}

const invalid = (path: string, message: string) =>
  new AppError("invalid_request", message, { errors: [{ path: `query.${path}`, message }] });
