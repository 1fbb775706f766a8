// Calendar days in an IANA time zone, for the Worker to hand SQLite (which has no zone data) exact
// UTC offsets. A zone's offset is constant between its transitions, so over a bounded range it is a
// short list of segments; a run's local day is then (created_at + its segment's offset) / DAY.

export const DAY_MS = 86_400_000;
const SAMPLE_MS = 6 * 3_600_000; // no zone changes its offset twice within six hours

const formats = new Map<string, Intl.DateTimeFormat>();
function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    const two = "2-digit";
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: two,
      day: two,
      hour: two,
      minute: two,
      second: two,
    });
    formats.set(tz, f);
  }
  return f;
}

/** Milliseconds to add to a UTC instant to get the wall-clock time in `tz` at that instant. */
export function offsetAt(ms: number, tz: string): number {
  if (tz === "UTC") return 0;
  const p: Record<string, number> = {};
  for (const part of format(tz).formatToParts(new Date(ms))) p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The calendar date (YYYY-MM-DD) of an instant in `tz`. */
export const localDate = (ms: number, tz: string) =>
  dateOfDay(Math.floor((ms + offsetAt(ms, tz)) / DAY_MS));

/** The date of a day number (days since 1970-01-01), and back. */
export const dateOfDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const dayOfDate = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);

/** The date `n` days after `date`. */
export const addDays = (date: string, n: number) => dateOfDay(dayOfDate(date) + n);

/**
 * The first instant of `date` in `tz` (its midnight; where a transition skips midnight, the first
 * wall-clock time that exists that day).
 */
export function startOfDate(date: string, tz: string): number {
  const wall = dayOfDate(date) * DAY_MS;
  const guess = wall - offsetAt(wall, tz);
  const exact = wall - offsetAt(guess, tz);
  return localDate(exact, tz) === date ? exact : guess;
}

/** The offset in force from `from` on (until the next segment's `from`). */
export type OffsetSegment = { from: number; offset: number };

/** The offsets of `tz` over [from, to): one segment per transition in the range, in order. */
export function offsetSegments(from: number, to: number, tz: string): OffsetSegment[] {
  const out: OffsetSegment[] = [{ from, offset: offsetAt(from, tz) }];
  if (tz === "UTC") return out;
  for (let t = from; t < to; t += SAMPLE_MS) {
    const next = Math.min(t + SAMPLE_MS, to);
    const offset = offsetAt(next, tz);
    if (offset === out[out.length - 1].offset) continue;
    // the first millisecond with the new offset lies in (t, next]
    let lo = t;
    let hi = next;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(mid, tz) === offset) hi = mid;
      else lo = mid;
    }
    out.push({ from: hi, offset });
  }
  return out;
}
