// A cron's next slots, read in the browser exactly as the server reads it: the same croner
// version with the same options as src/services/schedules/cron.ts (5 fields, the schedule's time
// zone), and the same explanation of a wrong field. The server checks again on save.
import { cronFieldCount, wrongCronField } from "@ambit/protocol/cron-fields";
import { Cron } from "croner";

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
  const fields = trimmed.startsWith("@") ? undefined : cronFieldCount(parts);
  if (fields) return { error: fields };
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

const wrongField = (parts: string[], timezone: string) =>
  wrongCronField(parts, (probe) => {
    try {
      build(probe, timezone || "UTC");
      return true;
    } catch {
      return false;
    }
  });

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
