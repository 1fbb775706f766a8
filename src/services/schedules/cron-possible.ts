/**
 * Whether a 5-field cron can ever fire, judged from its fields alone (croner, asked for the next
 * run of one that cannot, searches until the stack overflows). Only day-of-month against month
 * can make a valid cron impossible: when day-of-week is restricted the two combine with OR (as in
 * Vixie cron, and croner's default), and every minute, hour and weekday exists.
 */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]; // February: leap years count
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** The values a field selects within [min, max] (names mapped by `names`), or null for "any / can't tell". */
function expand(field: string, min: number, max: number, names: string[] = []): Set<number> | null {
  const out = new Set<number>();
  const num = (s: string) => {
    const named = names.indexOf(s.toUpperCase());
    return named >= 0 ? named + min : Number(s);
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") [lo, hi] = [min, max];
    else if (range.includes("-")) [lo, hi] = range.split("-").map(num) as [number, number];
    else [lo, hi] = [num(range), stepText === undefined ? num(range) : max];
    // L, W, # and anything else unusual: croner accepted it, so do not second-guess it
    if (![lo, hi, step].every(Number.isInteger) || step < 1) return null;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** False for a cron such as `0 0 31 4,6,9,11 *` (Apr 31…) or `0 0 30 2 *` that never matches a date. */
export function canFire(parts: string[]): boolean {
  if (parts.length !== 5) return true;
  const [, , dom, month, dow] = parts;
  if (dow !== "*" && dow !== "?") return true;
  const days = expand(dom, 1, 31);
  const months = expand(month, 1, 12, MONTHS);
  if (!days || !months) return true;
  const shortest = Math.min(...days);
  return [...months].some((m) => m >= 1 && m <= 12 && shortest <= MONTH_DAYS[m - 1]);
}
