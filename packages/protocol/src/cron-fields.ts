// How a schedule's 5-field cron is explained when one field is wrong: the server's 400 and the
// console's live check say the same thing. No zod here, so the console imports it alone.

export const CRON_FIELDS = [
  { name: "minute", hint: "0-59" },
  { name: "hour", hint: "0-23" },
  { name: "day of month", hint: "1-31" },
  { name: "month", hint: "1-12 or JAN-DEC" },
  { name: "day of week", hint: "0-7 or SUN-SAT (0 and 7 are Sunday)" },
];
const FORMS = "a value, *, a range a-b, a list a,b or a step */n";

/** The first of `parts` that `accepts` (tried with every other field `*`) refuses, explained. */
export function wrongCronField(
  parts: string[],
  accepts: (probe: string) => boolean,
): string | undefined {
  for (let i = 0; i < 5; i++) {
    if (!accepts(parts.map((p, j) => (j === i ? p : "*")).join(" ")))
      return `field ${i + 1} (${CRON_FIELDS[i].name}) '${parts[i]}' is not valid; use ${FORMS} within ${CRON_FIELDS[i].hint}`;
  }
  return undefined;
}

/** A cron without exactly 5 fields (and no `@` nickname), explained; undefined when it has 5. */
export function cronFieldCount(parts: string[]): string | undefined {
  if (parts.length === 5) return undefined;
  return `it has ${parts.length} field${parts.length === 1 ? "" : "s"}; write exactly 5: minute hour day-of-month month day-of-week, e.g. '0 9 * * 1-5'`;
}
