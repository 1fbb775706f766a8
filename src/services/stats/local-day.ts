import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { dateOfDay, DAY_MS, dayOfDate, localDate, offsetSegments } from "../../lib/time-zone.ts";

/**
 * The day number (days since 1970-01-01) in `tz` of a timestamp column: its value shifted by the
 * zone's offset at that instant. SQLite knows no zones, so the Worker lists the offsets in force
 * over the range (one per daylight-saving change) and inlines them as integer literals.
 */
export function localDay(column: SQLiteColumn, from: number, to: number, tz: string): SQL {
  const segments = offsetSegments(from, to, tz);
  const int = (n: number) => {
    if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
    return sql.raw(String(n));
  };
  let offset: SQL = int(segments[segments.length - 1].offset);
  if (segments.length > 1) {
    const whens = segments.slice(0, -1).map((s, i) => {
      const until = int(segments[i + 1].from);
      return sql`when ${column} < ${until} then ${int(s.offset)}`;
    });
    offset = sql`case ${sql.join(whens, sql` `)} else ${offset} end`;
  }
  return sql`(${column} + ${offset}) / ${int(DAY_MS)}`;
}

/** The dates of [from, to) in `tz`, first to last. */
export function daysOf(from: number, to: number, tz: string): string[] {
  const first = dayOfDate(localDate(from, tz));
  const last = dayOfDate(localDate(to - 1, tz));
  return Array.from({ length: last - first + 1 }, (_, i) => dateOfDay(first + i));
}
