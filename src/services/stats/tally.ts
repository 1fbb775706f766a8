import {
  type RunState,
  RunState as RunStates,
  type RunStatsBucket,
  type StateCounts,
} from "@ambit/protocol";

/**
 * The ended states the success rate counts. CANCELLED is left out: a cancellation is someone's
 * decision, not how the agent did (docs/api.md#stats).
 */
const OUTCOME_STATES = ["SUCCEEDED", "FAILED", "ERROR"] as const satisfies readonly RunState[];
/** Groups beyond these (most runs first) are left out of a series by field. */
export const MAX_GROUPS = 100;

export const zeroCounts = () =>
  Object.fromEntries(RunStates.options.map((s) => [s, 0])) as StateCounts;
export const sum = (c: StateCounts) => Object.values(c).reduce((a, b) => a + b, 0);

/** SUCCEEDED ÷ the runs that ended with an outcome (`OUTCOME_STATES`); null when none did. */
export function successRate(c: StateCounts): number | null {
  const ended = OUTCOME_STATES.reduce((a, s) => a + c[s], 0);
  return ended === 0 ? null : c.SUCCEEDED / ended;
}

const bucket = (key: string | null, c: StateCounts): RunStatsBucket => ({
  key,
  total: sum(c),
  by_state: c,
  success_rate: successRate(c),
});

/** Counts by (key, state) rows, summed: the totals and each key's counts. */
export function tally(rows: { key: string | null; state: string; n: number }[]) {
  const byKey = new Map<string | null, StateCounts>();
  const total = zeroCounts();
  for (const { key, state, n } of rows) {
    let c = byKey.get(key);
    if (!c) byKey.set(key, (c = zeroCounts()));
    c[state as RunState] += n;
    total[state as RunState] += n;
  }
  return { total, byKey };
}

/** A series by day: every one of `days`, in order, the empty ones too. */
export const daySeries = (days: string[], byKey: Map<string | null, StateCounts>) =>
  days.map((d) => bucket(d, byKey.get(d) ?? zeroCounts()));

/** A series by field: most runs first (ties by key), at most `MAX_GROUPS`. */
export function groupSeries(byKey: Map<string | null, StateCounts>) {
  const all = [...byKey].map(([k, c]) => bucket(k, c));
  all.sort((a, b) => b.total - a.total || String(a.key).localeCompare(String(b.key)));
  return { series: all.slice(0, MAX_GROUPS), truncated: all.length > MAX_GROUPS };
}
