/**
 * Whether anyone hears of a run's platform events right now: an enabled outbound webhook of its
 * team, or the integration thread its run reports to (the `EVENTS` consumer's only listeners;
 * src/queues/events-consumer.ts). Read in the same D1 batch as the write that makes the events
 * (the run's insert, its summary's update), so it costs no round trip of its own; when no one
 * hears, the events are not sent at all (most teams have no webhook and most runs no
 * integration: each event was a queue message and a consumer's work for no one). A webhook hears
 * of the changes made after it exists.
 */
const heardOf_ = (team: string, run: string) =>
  `(EXISTS (SELECT 1 FROM webhooks WHERE webhooks.team_id = ${team} AND webhooks.enabled = 1)` +
  ` OR EXISTS (SELECT 1 FROM integration_threads WHERE integration_threads.run_id = ${run}` +
  ` AND integration_threads.team_id = ${team}))`;
const HEARD_SQL = `SELECT ${heardOf_("?1", "?2")} AS heard`;

/**
 * The same, of the run an `UPDATE runs … RETURNING` just changed (its row's own columns): the
 * summary's write-back reads it in its one statement (durable-objects/run-session/summary.ts).
 */
export const HEARD_OF_UPDATED_RUN = heardOf_("runs.team_id", "runs.id");

export const heardStatement = (d1: D1Database, ref: { teamId: string; runId: string }) =>
  d1.prepare(HEARD_SQL).bind(ref.teamId, ref.runId);

/** The answer of `heardStatement` in a batch's results. */
export const heardOf = (result: D1Result<unknown> | undefined): boolean =>
  Boolean((result?.results?.[0] as { heard?: number } | undefined)?.heard);
