import type { AssignedSecret } from "@ambit/protocol";
import { and, asc, desc, eq, inArray, or } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { secrets } from "../../src/db/schema.ts";
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
  const results = await createDb(env.DB)
    .select({
      scope: secrets.scope,
      ownerId: secrets.ownerId,
      name: secrets.name,
      type: secrets.type,
      ciphertext: secrets.ciphertext,
    })
    .from(secrets)
    .where(
      and(
        eq(secrets.teamId, teamId),
        or(eq(secrets.scope, "team"), personalOf === null ? undefined : ownedBy(personalOf)),
        only ? inArray(secrets.name, only) : undefined,
      ),
    )
    .orderBy(asc(secrets.name), desc(secrets.scope));
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

/** How many personal secrets `ownerId` has in the team (to say that some were withheld; never which). */
export async function countPersonalSecrets(
  env: Env,
  teamId: string,
  ownerId: string,
): Promise<number> {
  return createDb(env.DB).$count(secrets, and(eq(secrets.teamId, teamId), ownedBy(ownerId)));
}
