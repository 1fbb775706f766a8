// A cron's next slots, read in the browser exactly as the server reads it: the same croner
// version with the same options as src/services/schedules/cron.ts (5 fields, the schedule's time
// zone), and the same explanation of a wrong field. The server checks again on save.
import { Cron } from "croner";

const FIELDS = [
  { name: "minute", hint: "0-59" },
  { name: "hour", hint: "0-23" },
  { name: "day of month", hint: "1-31" },
  { name: "month", hint: "1-12 or JAN-DEC" },
  { name: "day of week", hint: "0-7 or SUN-SAT (0 and 7 are Sunday)" },
];
const FORMS = "a value, *, a range a-b, a list a,b or a step */n";

const build = (expr: string, timezone: string) =>
  new Cron(expr, { mode: "5-part", timezone, paused: true });

export type CronPreview =
  | { slots: Date[]; error?: undefined }
  | { slots?: undefined; error: string };

/** The next `count` slots of `expr` in `timezone`, or why it is not a cron the server takes. */
export function previewCron(expr: string, timezone: string, count = 5): CronPreview {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone || "UTC" });
  } catch {
    return { error: `'${timezone}' is not an IANA time zone; use e.g. UTC or Europe/Berlin` };
  }
  const trimmed = expr.trim();
  const parts = trimmed.split(/\s+/);
  if (!trimmed.startsWith("@") && parts.length !== 5)
    return {
      error: `it has ${parts.length} field${parts.length === 1 ? "" : "s"}; write exactly 5: minute hour day-of-month month day-of-week, e.g. '0 9 * * 1-5'`,
    };
  let cron: Cron;
  try {
    cron = build(trimmed, timezone || "UTC");
  } catch (err) {
    return { error: (parts.length === 5 && wrongField(parts, timezone)) || String(err) };
  }
  try {
    const slots = cron.nextRuns(count);
    if (slots.length === 0) return { error: "it never fires: it never matches a date" };
    return { slots };
  } catch {
    return { error: "it never fires: it never matches a date" };
  }
}

function wrongField(parts: string[], timezone: string): string | undefined {
  for (let i = 0; i < 5; i++) {
    try {
      build(parts.map((p, j) => (j === i ? p : "*")).join(" "), timezone || "UTC");
    } catch {
      return `field ${i + 1} (${FIELDS[i].name}) '${parts[i]}' is not valid; use ${FORMS} within ${FIELDS[i].hint}`;
    }
  }
  return undefined;
}

/** A slot as its time zone shows it, e.g. "Mon, Dec 7, 2026, 09:00 GMT+5:30". */
export const slotText = (d: Date, timezone: string) =>
  new Intl.DateTimeFormat(undefined, {
    timeZone: timezone || "UTC",
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(d);
