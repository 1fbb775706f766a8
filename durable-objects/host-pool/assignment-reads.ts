import { and, eq, sql } from "drizzle-orm";
import { createDb, type Db } from "../../src/db/client.ts";
import { integrationThreads, teams } from "../../src/db/schema.ts";
import { statementOnce } from "../../src/db/statements.ts";
import { type KeyGrantRow, keyGrantRow } from "../../src/lib/key-role.ts";
import { sessionUidOf } from "../../src/lib/web-session.ts";
import { type DispatchRow, runRowStatement } from "../run-session/summary.ts";
import { runSecretRows, type SecretRow } from "./run-secrets.ts";
import { limitsAndElsewhere, type TeamLimitsRow } from "./team-load.ts";

// What giving a run to a holder reads from D1, in one batch: one round trip instead of seven
// (the run's row twice, once by its session and once for the assignment; the team's limits; the
// host's key; the gateway setting; the secrets; the integration thread). Locally each D1 query
// is a loopback HTTP request through workerd, which was most of an assignment's CPU.

/** What an assignment is built from (assignment.ts). */
export type AssignmentInputs = {
  /** the run's row; null: no such run in the team */
  row: DispatchRow | null;
  /** whether the team's runs call models through the gateway (a team setting, on unless off) */
  gateway: boolean;
  /** the team's secrets and the run creator's personal ones, not yet opened */
  secrets: SecretRow[];
  /** whether an integration started the run (its thread names it): it may give secrets too */
  threaded: boolean;
};

type Ref = { runId: string; teamId: string };

const gatewaySetting = statementOnce<{ teamId: string }>((db) =>
  db
    // aliased: a raw row is keyed by the column's SQL name otherwise
    .select({ on: sql<number>`${teams.modelGateway}`.as("on") })
    .from(teams)
    .where(eq(teams.id, sql.placeholder("teamId")))
    .limit(1),
);

const threadOf = statementOnce<Ref>((db) =>
  db
    .select({ one: sql<number>`1`.as("one") })
    .from(integrationThreads)
    .where(
      and(
        eq(integrationThreads.runId, sql.placeholder("runId")),
        eq(integrationThreads.teamId, sql.placeholder("teamId")),
      ),
    )
    .limit(1),
);

const inputStatements = (db: Db, ref: Ref) => [
  runRowStatement(db, ref),
  gatewaySetting(db, ref),
  runSecretRows(db, ref),
  threadOf(db, ref),
];

function inputsOf(results: D1Result<unknown>[]): AssignmentInputs {
  const [row, gateway, secrets, thread] = results as [
    D1Result<DispatchRow>,
    D1Result<{ on: number }>,
    D1Result<SecretRow>,
    D1Result<unknown>,
  ];
  return {
    row: row.results[0] ?? null,
    gateway: gateway.results[0] ? gateway.results[0].on !== 0 : true,
    secrets: secrets.results,
    threaded: thread.results.length > 0,
  };
}

/** What an assignment is built from, in one D1 batch (a LOCAL run's claim). */
export async function readAssignmentInputs(env: Env, ref: Ref): Promise<AssignmentInputs> {
  return inputsOf(await env.DB.batch(inputStatements(createDb(env.DB), ref)));
}

/**
 * Everything the pool reads before it gives the head of its line to a host, in one D1 batch: the
 * team's limits and the slots its other pools hold, the standing of the API key the host
 * connected with (`key`; a web session's is read on its own: its is a read of another kind), and
 * the assignment's inputs. Read before the pool knows it may assign (at the team's limit, the
 * rest is read for nothing: rows read cost a thousandth of a row written).
 */
export async function readPoolAssignment(
  env: Env,
  input: Ref & { pool: string; keyId?: string },
): Promise<{ limits: TeamLimitsRow | null; key: KeyGrantRow | null; inputs: AssignmentInputs }> {
  const db = createDb(env.DB);
  const { runId, teamId, pool, keyId } = input;
  const withKey = keyId !== undefined && sessionUidOf(keyId) === undefined;
  const results = await env.DB.batch<unknown>([
    limitsAndElsewhere(db, { teamId, pool }),
    ...(withKey ? [keyGrantRow(db, { teamId, keyId })] : []),
    ...inputStatements(db, { runId, teamId }),
  ]);
  const [limits, ...rest] = results;
  const key = withKey ? ((rest.shift()!.results[0] as KeyGrantRow | undefined) ?? null) : null;
  return {
    limits: (limits.results[0] as TeamLimitsRow | undefined) ?? null,
    key,
    inputs: inputsOf(rest),
  };
}
