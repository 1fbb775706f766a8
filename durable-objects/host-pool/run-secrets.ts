import type { AssignedSecret } from "@ambit/protocol";
import { and, asc, desc, eq, inArray, or, sql } from "drizzle-orm";
import { createDb, type Db } from "../../src/db/client.ts";
import { runs, secrets } from "../../src/db/schema.ts";
import { statementOnce } from "../../src/db/statements.ts";
import { openValue } from "../../src/lib/envelope.ts";
import { teamDataKey } from "../../src/lib/team-data-key.ts";

/** The personal secrets of `ownerId`. */
const ownedBy = (ownerId: string) =>
  and(eq(secrets.scope, "personal"), eq(secrets.ownerId, ownerId));

/** A secret that did not open (tampered, or sealed under a key this deployment no longer has). */
export class SecretUnavailable extends Error {
  constructor(readonly secretName: string) {
    super(`secret '${secretName}' could not be opened`);
  }
}

/**
 * Opens the secrets an execution receives: every team secret of its team plus the personal
 * secrets of `personalOf` (a personal secret wins over a team secret of the same name); null:
 * nobody's. Who that is, is decided by src/lib/personal-secrets.ts, never here. This is the only
 * place values are decrypted: at assignment, for the host (over its authenticated socket), and by
 * the model gateway, `only` the provider key and base URL one call needs
 * (src/services/gateway/upstream.ts); never stored, logged or evented.
 */
export async function openRunSecrets(
  env: Env,
  teamId: string,
  personalOf: string | null,
  only?: string[],
): Promise<AssignedSecret[]> {
  const results: SecretRow[] = await createDb(env.DB)
    .select(secretColumns)
    .from(secrets)
    .where(
      and(
        eq(secrets.teamId, teamId),
        or(eq(secrets.scope, "team"), personalOf === null ? undefined : ownedBy(personalOf)),
        only ? inArray(secrets.name, only) : undefined,
      ),
    )
    .orderBy(asc(secrets.name), desc(secrets.scope));
  return openSecretRows(env, teamId, results);
}

/** A stored secret as the assignment reads it (D1 names: the raw statement below gives these). */
export type SecretRow = {
  scope: "team" | "personal";
  ownerId: string;
  name: string;
  type: string;
  ciphertext: string;
};
const secretColumns = {
  scope: secrets.scope,
  ownerId: sql<string>`${secrets.ownerId}`.as("ownerId"),
  name: secrets.name,
  type: secrets.type,
  ciphertext: secrets.ciphertext,
};

/**
 * Every secret an execution of the run may receive, whoever starts it: the team's, and its
 * creator's personal ones (only an execution its creator started gets those, decided by the
 * caller with src/lib/personal-secrets.ts), in `openRunSecrets`' order. Built once, so that it
 * goes in the assignment's one D1 batch (assignment-reads.ts).
 */
export const runSecretRows = statementOnce<{ teamId: string; runId: string }>((db: Db) =>
  db
    .select(secretColumns)
    .from(secrets)
    .where(
      and(
        eq(secrets.teamId, sql.placeholder("teamId")),
        or(
          eq(secrets.scope, "team"),
          and(
            eq(secrets.scope, "personal"),
            sql`${secrets.ownerId} = (${db
              .select({ creator: runs.creatorId })
              .from(runs)
              .where(
                and(
                  eq(runs.id, sql.placeholder("runId")),
                  eq(runs.teamId, sql.placeholder("teamId")),
                ),
              )})`,
          ),
        ),
      ),
    )
    .orderBy(asc(secrets.name), desc(secrets.scope)),
);

/**
 * Opens stored secrets: a personal one wins over a team one of the same name (rows come team
 * first per name). Throws SecretUnavailable for one that does not open.
 */
export async function openSecretRows(
  env: Env,
  teamId: string,
  results: SecretRow[],
): Promise<AssignedSecret[]> {
  if (!results.length) return [];
  const key = await teamDataKey(env, teamId, false);
  if (!key) throw new SecretUnavailable(results[0].name);
  const byName = new Map<string, AssignedSecret>();
  for (const row of results) {
    // rows come team first per name, so a personal secret replaces the team one
    let value: string;
    try {
      value = await openValue(
        key,
        { teamId, scope: row.scope, ownerId: row.ownerId, name: row.name },
        row.ciphertext,
      );
    } catch {
      throw new SecretUnavailable(row.name);
    }
    byName.set(row.name, { name: row.name, value, type: row.type });
  }
  return [...byName.values()];
}
