import type { ScheduleSpawnMessage } from "@ambit/protocol";
import { parseCron, slotsAt } from "./cron.ts";

type DueRow = {
  id: string;
  team_id: string;
  cron_schedule: string;
  timezone: string;
  next_run: number;
};

/** Schedules read and claimed per round trip: one SELECT and one UPDATE, whatever the size. */
export const CLAIM_PAGE = 500;

// Fair across teams: each due schedule is ranked within its team (oldest slot first), and a page
// takes every team's first before any team's second, and so on; a team that has had `spent` slots
// this tick ranks behind, and none gets more than `perTeam` in the tick. What a cap leaves due is
// claimed by the next tick (late, counted as missed), so no team's schedules crowd out the rest.
const SELECT_DUE = `WITH spent(team_id, n) AS (
    SELECT json_extract(value, '$.t'), json_extract(value, '$.n') FROM json_each(?3)),
  ranked AS (
    SELECT id, team_id, cron_schedule, timezone, next_run,
      ROW_NUMBER() OVER (PARTITION BY team_id ORDER BY next_run, id) AS k
    FROM schedules WHERE enabled = 1 AND next_run <= ?1)
  SELECT r.id, r.team_id, r.cron_schedule, r.timezone, r.next_run FROM ranked r LEFT JOIN spent s ON s.team_id = r.team_id
  WHERE r.k + coalesce(s.n, 0) <= ?4 ORDER BY r.k + coalesce(s.n, 0), r.next_run, r.id LIMIT ?2`;

// One statement claims a whole page: each row moves `next_run` from the slot this tick read to
// the slot after the tick, only if nobody moved it meanwhile (another tick, an edit, a pause).
// The rows it returns are the slots this tick owns; every other claimant gets nothing back.
// The claims are materialized first, so each is one primary-key lookup (joining json_each
// directly made SQLite scan the page's JSON for every schedule: 3.5 s instead of 5 ms per 500).
const CLAIM = `WITH c(i, o, n) AS MATERIALIZED (
    SELECT json_extract(value, '$.i'), json_extract(value, '$.o'), json_extract(value, '$.n') FROM json_each(?1))
  UPDATE schedules SET next_run = c.n FROM c
  WHERE schedules.id = c.i AND schedules.next_run = c.o AND schedules.enabled = 1
  RETURNING schedules.id AS id`;

/**
 * Claims one page of due slots at `tick` (ms): for each enabled schedule whose `next_run` has come,
 * the latest slot not after `tick` (earlier missed slots are counted, not replayed) and the next
 * slot after it. Returns the spawn messages of the slots claimed and how many were due.
 * Claiming is a compare-and-set on `next_run`, so concurrent or repeated ticks never claim a slot
 * twice. `fair` bounds one team's share of the tick (see SELECT_DUE): `spent` is what each team
 * was given by this tick's earlier pages.
 */
export async function claimDueSlots(
  d1: D1Database,
  tick: number,
  limit = CLAIM_PAGE,
  fair: { perTeam?: number; spent?: ReadonlyMap<string, number> } = {},
): Promise<{ due: number; claimed: ScheduleSpawnMessage[] }> {
  const spent = JSON.stringify([...(fair.spent ?? [])].map(([t, n]) => ({ t, n })));
  const { results: due } = await d1
    .prepare(SELECT_DUE)
    .bind(tick, limit, spent, fair.perTeam ?? Number.MAX_SAFE_INTEGER)
    .all<DueRow>();
  if (!due.length) return { due: 0, claimed: [] };
  const plans = new Map<string, ScheduleSpawnMessage>();
  const claims: { i: string; o: number; n: number | null }[] = [];
  // schedules that share a cron, zone and due slot (every "0 9 * * *" of a morning) share the work
  const memo = new Map<string, ReturnType<typeof slotsAt>>();
  for (const row of due) {
    const key = `${row.timezone}\u0000${row.cron_schedule}\u0000${row.next_run}`;
    let slots = memo.get(key);
    if (!slots) {
      try {
        slots = slotsAt(parseCron(row.cron_schedule, row.timezone), row.next_run, tick);
      } catch {
        // validated when saved; a cron the parser no longer reads stops rather than blocking the page
        slots = { slot: row.next_run, missed: 0, next: null };
      }
      memo.set(key, slots);
    }
    claims.push({ i: row.id, o: row.next_run, n: slots.next });
    plans.set(row.id, {
      kind: "spawn",
      schedule_id: row.id,
      team_id: row.team_id,
      slot: slots.slot,
      tick,
      missed: slots.missed,
    });
  }
  const { results: won } = await d1
    .prepare(CLAIM)
    .bind(JSON.stringify(claims))
    .all<{ id: string }>();
  return { due: due.length, claimed: won.map((w) => plans.get(w.id)!) };
}
