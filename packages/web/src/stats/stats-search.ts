// The Stats screen's URL: the range (dates), its time zone and the split. Defaults: the last 30
// days (today included) in the browser's time zone, split by day — the API's own defaults.
import type { StatsRunsParams } from "@ambit/sdk";

export const GROUP_BYS = ["day", "source", "model", "environment", "creator", "state"] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export type StatsSearch = { from?: string; to?: string; tz?: string; group_by?: GroupBy };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

export function parseStatsSearch(s: Record<string, unknown>): StatsSearch {
  const date = (v: unknown) => (str(v) && DATE.test(v as string) ? (v as string) : undefined);
  const group = str(s.group_by) as GroupBy | undefined;
  return {
    from: date(s.from),
    to: date(s.to),
    tz: str(s.tz),
    group_by: group && GROUP_BYS.includes(group) ? group : undefined,
  };
}

export const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** A day (YYYY-MM-DD) as the calendar reads it in `tz`, `days` after `at`. */
export function dayIn(tz: string, at = new Date(), days = 0): string {
  const d = new Date(at.getTime() + days * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(d);
}

/** The search with every default filled in: what the screen shows and the URL should say. */
export function resolveStatsSearch(s: StatsSearch): Required<StatsSearch> {
  const tz = s.tz ?? browserTimeZone();
  const to = s.to ?? dayIn(tz);
  const from = s.from ?? dayIn(tz, new Date(`${to}T12:00:00Z`), -29);
  return { from, to, tz, group_by: s.group_by ?? "day" };
}

export const toQuery = (s: Required<StatsSearch>): StatsRunsParams => ({ ...s });
