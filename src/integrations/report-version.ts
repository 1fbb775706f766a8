// The version of what a report shows (a GitHub comment's marker, a Slack status message's thread
// state, a Linear session's cursor): a report never replaces what it showed with an older version.
// A terminal change comes as run.state_changed and run.completed at the same `at`: the rank
// orders them, so the completed one (with duration and pull request) is the one that stays.
const RANK: Record<string, number> = {
  "run.created": 0,
  "run.state_changed": 1,
  "run.completed": 2,
};

/** The version of the comment an event makes: later events, then richer ones, win. */
export const versionOf = (event: { type: string; at: number }) =>
  event.at * 10 + (RANK[event.type] ?? 0);
