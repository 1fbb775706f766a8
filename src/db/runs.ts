import { HELD_STATES, PLATFORM_POOL } from "@ambit/protocol";
import { and, eq, inArray, type Placeholder, type SQL, sql } from "drizzle-orm";
import { runs } from "./schema.ts";

// The rules about `runs` rows that more than one query applies, each written once, in SQL built
// from the schema. The Worker's services and the Durable Objects (which read D1 themselves) share
// them, so a run counts the same against its team's limit wherever it is counted.

/** A run's pool, as `poolOf(worker_host)` (@ambit/protocol) has it: no worker host is the platform pool. */
export const runPool = sql<string>`coalesce(nullif(${runs.workerHost}, ''), ${PLATFORM_POOL})`;

/**
 * The team's runs that hold one of its `max_concurrent_runs` slots: held by a host
 * (`HELD_STATES`), and not LOCAL (a LOCAL run uses its creator's machine, not a slot).
 */
export const holdingSlot = (teamId: string | Placeholder): SQL =>
  and(
    eq(runs.teamId, teamId),
    inArray(runs.state, [...HELD_STATES]),
    // `+` keeps SQLite from using the (team, execution_location) index for this term: it
    // preferred it (two equalities) and read every REMOTE run the team ever had, per creation
    // and per assignment; with it, the (team, state) index reads the held runs alone
    sql`+${runs.executionLocation} = 'REMOTE'`,
  )!;
