// How times and durations read on screen.

/** "12 s", "4 min 5 s", "2 h 3 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "$12.35"; below a cent "$0.0143", so small agent calls stay visible. */
export const formatUsd = (n: number) =>
  `$${n !== 0 && Math.abs(n) < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;

/** A run's duration: from its start to its end (its last update once terminal) or now. */
export function runDuration(
  run: { started_at?: string | null; updated_at: string; state: string },
  now = Date.now(),
): string {
  if (!run.started_at) return "—";
  const end = isTerminal(run.state) ? Date.parse(run.updated_at) : now;
  return formatDuration(end - Date.parse(run.started_at));
}

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"]);
export const isTerminal = (state: string | undefined) => !!state && TERMINAL.has(state);

// One formatter each, made once: `toLocaleString(…)` builds a new Intl.DateTimeFormat on every
// call (~0.1 ms), and a page of runs or a streaming transcript calls it hundreds of times a second.
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const CLOCK = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/** A local date and time, short. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return DATE_TIME.format(new Date(iso));
}

/** A local time of day, as `Date.toLocaleTimeString()` writes it. */
export const formatClock = (iso: string): string => CLOCK.format(new Date(iso));

/** A user profile's readable name. */
export function personName(
  p: { display_name?: string | null; email?: string | null; uid?: string } | undefined,
): string {
  return p?.display_name || p?.email || p?.uid || "—";
}

/** How long ago `iso` was, in words: "5 s ago", "3 min ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const ms = Math.max(0, now - Date.parse(iso));
  return ms < 1000 ? "just now" : `${formatDuration(Math.floor(ms / 1000) * 1000)} ago`;
}
