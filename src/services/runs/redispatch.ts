import { poolOf } from "@ambit/protocol";
import { and, asc, eq, gt, gte, inArray, lt, or, sql } from "drizzle-orm";
import { hostPool, runSession } from "../../../durable-objects/stubs.ts";
import { createDb, type Db } from "../../db/client.ts";
import { runs, teams } from "../../db/schema.ts";
import { log } from "../../lib/log.ts";

/** How long a run may be QUEUED or PENDING before the sweep asks whether a pool has it. */
export const LOST_AFTER_MS = 5 * 60_000;
/** Waiting runs looked at per tick: at most this many pool calls, session calls and offers. */
export const SWEEP_PAGE = 25;
/** Where the sweep goes on from at the next tick (CONFIG KV): see `redispatchLostRuns`. */
export const SWEEP_CURSOR_KEY = "housekeeping:queued-runs-cursor";

/** Who hands a lost PENDING run back, in its events. */
const SWEEP_ACTOR = { type: "system" as const, id: "housekeeping" };

/** The states of a run waiting for a host: in line (QUEUED), or offered to one (PENDING). */
const WAITING = ["PENDING", "QUEUED"] as const;
type Waiting = (typeof WAITING)[number];
type Cursor = { teamId: string; state: Waiting; updatedAt: number; id: string };
type Candidate = Omit<Cursor, "state"> & { state: string; workerHost: string | null };

/**
 * The REMOTE runs QUEUED or PENDING since before `before`, in (team, state, updated_at, id) order
 * after `after`: the order of the index that finds them.
 * `runs` has no index that starts with `state` (each leads with `team_id`), so the teams drive
 * the query: one probe of `runs_team_state_updated` per team and waiting state, and nothing else
 * read when no run waits that long (test/cron/redispatch.test.ts checks the plan). LOCAL runs are
 * their CLI's, never a pool's (`+` keeps SQLite off the (team, execution_location) index, as
 * `holdingSlot`).
 */
export function lostRunCandidates(db: Db, before: number, after: Cursor | null, limit: number) {
  return (
    db
      .select({
        id: runs.id,
        teamId: runs.teamId,
        workerHost: runs.workerHost,
        state: runs.state,
        updatedAt: runs.updatedAt,
      })
      .from(teams)
      // CROSS JOIN: SQLite keeps the tables in this order (teams outside), else it may walk the
      // whole (team, state, updated_at) index for the state and sort
      .crossJoin(runs)
      .where(
        and(
          eq(runs.teamId, teams.id),
          inArray(runs.state, [...WAITING]),
          lt(runs.updatedAt, before),
          sql`+${runs.executionLocation} = 'REMOTE'`,
          after
            ? and(
                gte(teams.id, after.teamId),
                or(
                  gt(teams.id, after.teamId),
                  gt(runs.state, after.state),
                  and(
                    eq(runs.state, after.state),
                    or(
                      gt(runs.updatedAt, after.updatedAt),
                      and(eq(runs.updatedAt, after.updatedAt), gt(runs.id, after.id)),
                    ),
                  ),
                ),
              )
            : undefined,
        ),
      )
      .orderBy(asc(teams.id), asc(runs.state), asc(runs.updatedAt), asc(runs.id))
      .limit(limit)
  );
}

/**
 * Offers again the REMOTE runs QUEUED or PENDING for more than `LOST_AFTER_MS` that no pool has:
 * their dispatch was lost (`dispatchRun`'s queue send failed, or its message was dropped), or a
 * pool let go of them and could not say so to their session (a hand-back or an end that failed
 * after the run left the pool's line and holds); nothing else would ever offer them. A PENDING one
 * is handed back to QUEUED first (`requeue`). Platform-wide by design (a system job, like the
 * webhook sweep): it reads no run's content, and only offers a run to its own team's pool.
 *
 * Bounded per tick: one D1 query of at most `SWEEP_PAGE` runs, then one `holding` call per pool
 * among them; only the runs their pool does not have cost more, a `status` call to each run's
 * session (the authority: a D1 row may lag its session, and the offer needs the execution), a
 * `requeue` of each PENDING one, and one `offerAll` per pool. Runs waiting in a line for a host
 * stay QUEUED with their old `updated_at` and are found again: a cursor in KV (written only when
 * it moves) takes the next tick past them, so a team with hundreds waiting never hides another's
 * lost run; past the last run it starts again from the first. Answers how many runs it offered.
 */
export async function redispatchLostRuns(env: Env, now: number): Promise<number> {
  const db = createDb(env.DB);
  const before = now - LOST_AFTER_MS;
  const after = await readCursor(env);
  let page = await lostRunCandidates(db, before, after, SWEEP_PAGE);
  // past the last one: start again from the first in the same tick
  if (after && !page.length) page = await lostRunCandidates(db, before, null, SWEEP_PAGE);
  const last = page.at(-1);
  const next =
    page.length === SWEEP_PAGE && last
      ? {
          teamId: last.teamId,
          state: last.state as Waiting,
          updatedAt: last.updatedAt,
          id: last.id,
        }
      : null;
  if (JSON.stringify(next) !== JSON.stringify(after)) await moveCursor(env, next);
  if (!page.length) return 0;
  const byPool = new Map<string, Candidate[]>();
  for (const r of page) {
    const key = `${r.teamId}:${poolOf(r.workerHost)}`;
    byPool.set(key, [...(byPool.get(key) ?? []), r]);
  }
  const offered = await Promise.all([...byPool.values()].map((group) => offerLost(env, group)));
  return offered.reduce((a, b) => a + b, 0);
}

/** One pool's share of the page: asks which it has, offers it the others still QUEUED. */
async function offerLost(env: Env, group: Candidate[]): Promise<number> {
  const { teamId } = group[0];
  const pool = poolOf(group[0].workerHost);
  const stub = hostPool(env, teamId, pool);
  try {
    const { held } = await stub.holding(group.map((r) => r.id));
    const missing = group.filter((r) => !held.includes(r.id));
    if (!missing.length) return 0;
    const statuses = await Promise.all(missing.map((r) => stillWaiting(env, r)));
    const offers = missing.flatMap((r, i) => {
      const executionId = statuses[i];
      return executionId === null
        ? []
        : [{ runId: r.id, teamId, pool, executionId, sessionOpen: true }];
    });
    if (!offers.length) return 0;
    log.warn("queued runs no pool had: offered again", {
      pool,
      team_id: teamId,
      run_ids: offers.map((o) => o.runId),
    });
    // the line takes them before the pump runs: a pump that throws is retried by the pool itself
    await stub.offerAll(offers).catch((err) => log.error("re-offer's pump failed", { error: err }));
    return offers.length;
  } catch (err) {
    // this pool's runs are looked at again when the sweep comes back to them
    log.error("lost-run sweep failed for a pool", { pool, team_id: teamId, error: err });
    return 0;
  }
}

const HANDED_BACK = {
  message: "Queued again: the host it was offered to never took it, and no pool still had it",
};

/**
 * The execution to offer of a run no pool has, once its session (the authority) says it still
 * waits for a host: QUEUED, or PENDING for a host that is gone (handed back to QUEUED here).
 * Null: it ended, started or moved on meanwhile. A run handed back here starts its offers over,
 * even one whose end after its last offer was what failed: offered again rather than stuck.
 */
async function stillWaiting(env: Env, r: Candidate): Promise<number | null> {
  const ref = { runId: r.id, teamId: r.teamId };
  const session = runSession(env, r.id);
  const s = await session.status(ref);
  if (!s.ok) return null;
  if (s.state === "QUEUED") return s.execution_id;
  if (s.state !== "PENDING") return null;
  const back = await session.command(ref, "requeue", SWEEP_ACTOR, HANDED_BACK);
  return back.ok ? back.execution_id : null;
}

async function readCursor(env: Env): Promise<Cursor | null> {
  const c = await env.CONFIG.get<Partial<Cursor>>(SWEEP_CURSOR_KEY, "json").catch(() => null);
  if (!c?.teamId || typeof c.updatedAt !== "number" || !c.id) return null;
  // a cursor saved before PENDING runs were swept too stood among the QUEUED ones
  return { teamId: c.teamId, state: c.state ?? "QUEUED", updatedAt: c.updatedAt, id: c.id };
}

async function moveCursor(env: Env, next: Cursor | null) {
  // a lost write only makes the next tick look at the same runs again
  const write = next
    ? env.CONFIG.put(SWEEP_CURSOR_KEY, JSON.stringify(next))
    : env.CONFIG.delete(SWEEP_CURSOR_KEY);
  await write.catch((err) => log.warn("sweep cursor not saved", { error: err }));
}
