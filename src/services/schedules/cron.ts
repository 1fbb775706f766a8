import { cronFieldCount, wrongCronField } from "@ambit/protocol/cron-fields";
import { Cron } from "croner";
import { AppError } from "../../lib/errors.ts";
import { canFire } from "./cron-possible.ts";

const cache = new Map<string, Cron>();
const MAX_CACHED = 2_000;

const build = (expr: string, timezone: string) =>
  new Cron(expr, { mode: "5-part", timezone, paused: true });

/** A bad cron as a 400 that names the wrong field and how to write it. */
function invalidCron(expr: string, why: string) {
  return new AppError("invalid_request", `cron_schedule '${expr}' is invalid: ${why}`, {
    errors: [{ path: "cron_schedule", message: why }],
  });
}

/** The first field of a 5-field expression croner refuses, judged one field at a time. */
const wrongField = (parts: string[], timezone: string) =>
  wrongCronField(parts, (probe) => {
    try {
      build(probe, timezone);
      return true;
    } catch {
      return false;
    }
  });

/** Checks an IANA time zone name; a 400 naming it otherwise. */
export function assertTimezone(timezone: string) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new AppError(
      "invalid_request",
      `timezone '${timezone}' is not an IANA time zone; use a name such as UTC, Europe/Berlin or America/New_York`,
      {
        errors: [{ path: "timezone", message: "unknown time zone" }],
      },
    );
  }
}

/**
 * The parsed cron of a schedule, read in `timezone`. Standard 5-field expressions (minute hour
 * day-of-month month day-of-week; day-of-month and day-of-week combine with OR, as in Vixie cron)
 * and the nicknames @hourly, @daily, @weekly, @monthly, @yearly. Throws a 400 naming the field.
 */
export function parseCron(expr: string, timezone = "UTC"): Cron {
  const key = `${timezone}\u0000${expr}`;
  const hit = cache.get(key);
  if (hit) return hit;
  assertTimezone(timezone);
  const trimmed = expr.trim();
  const parts = trimmed.split(/\s+/);
  const count = trimmed.startsWith("@") ? undefined : cronFieldCount(parts);
  if (count) throw invalidCron(expr, count);
  let cron: Cron;
  try {
    cron = build(trimmed, timezone);
  } catch (err) {
    throw invalidCron(
      expr,
      (parts.length === 5 && wrongField(parts, timezone)) ||
        String((err as Error).message).replace(/^CronPattern: /, ""),
    );
  }
  const never =
    "it never fires: it never matches a date (check day of month against month: April has 30 days, February 29)";
  if (!canFire(parts) || nextSlot(cron, Date.now()) === null) throw invalidCron(expr, never);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, cron);
  return cron;
}

/** The first slot strictly after `after` (ms), or null if the cron never fires again. */
export function nextSlot(cron: Cron, after: number): number | null {
  try {
    return cron.nextRun(new Date(after))?.getTime() ?? null;
  } catch (err) {
    // croner searches recursively: a cron that never fires overflows the stack instead of
    // answering null (parseCron refuses those; this keeps any it missed from failing a request)
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/** Missed slots are counted up to this many (walking slot by slot costs CPU); beyond it the count reads "100+". */
export const MAX_COUNTED_MISSES = 100;

/**
 * For a schedule whose slot `due` has come by `tick`: the latest slot not after `tick` (the one to
 * start), how many earlier slots it stands in for, and the slot after `tick`.
 */
export function slotsAt(
  cron: Cron,
  due: number,
  tick: number,
): { slot: number; missed: number; next: number | null } {
  let slot = due;
  let missed = 0;
  for (let s = nextSlot(cron, due); s !== null && s <= tick; s = nextSlot(cron, s)) {
    slot = s;
    if (++missed >= MAX_COUNTED_MISSES) {
      // a long outage: jump straight to the latest slot instead of walking every one
      // croner looks back from whole seconds: 1 s past the tick includes a slot at the tick itself
      const latest = previousSlot(cron, tick + 1_000);
      if (latest !== undefined && latest <= tick) slot = latest;
      break;
    }
  }
  return { slot, missed, next: nextSlot(cron, tick) };
}

/** The latest slot before `before` (ms), or undefined; a RangeError of croner's search is "none". */
function previousSlot(cron: Cron, before: number): number | undefined {
  try {
    return cron.previousRuns(1, new Date(before))[0]?.getTime();
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}
