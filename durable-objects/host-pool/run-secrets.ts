import type { AssignedSecret } from "@ambit/protocol";
import { openValue } from "../../src/lib/envelope.ts";
import { teamDataKey } from "../../src/lib/team-data-key.ts";

type Row = { scope: "team" | "personal"; owner_id: string; name: string; type: string; ciphertext: string };

/** A secret that did not open (tampered, or sealed under a key this deployment no longer has). */
export class SecretUnavailable extends Error {
  constructor(readonly secretName: string) {
    super(`secret '${secretName}' could not be opened`);
  }
}

/**
 * Opens the secrets a run receives: every team secret of its team plus the personal secrets of
 * `personalOwner`, the run's creator when the run may have them (a personal secret wins over a team
 * secret of the same name; null: team secrets only, see the run's `personal_access`). This is the only
 * place values are decrypted ("opened by the Worker only at assignment"); they go to the host
 * over its authenticated socket and are never stored, logged or evented.
 */
export async function openRunSecrets(env: Env, teamId: string, personalOwner: string | null): Promise<AssignedSecret[]> {
  const { results } = await env.DB.prepare(
    "SELECT scope, owner_id, name, type, ciphertext FROM secrets WHERE team_id = ? AND (scope = 'team' OR (scope = 'personal' AND owner_id = ?)) ORDER BY name, scope DESC",
  )
    .bind(teamId, personalOwner) // `owner_id = NULL` matches nothing
    .all<Row>();
  if (!results.length) return [];
  const key = await teamDataKey(env, teamId, false);
  if (!key) throw new SecretUnavailable(results[0].name);
  const byName = new Map<string, AssignedSecret>();
  for (const row of results) {
    // rows come team first per name, so a personal secret replaces the team one
    let value: string;
    try {
      value = await openValue(key, { teamId, scope: row.scope, ownerId: row.owner_id, name: row.name }, row.ciphertext);
    } catch {
      throw new SecretUnavailable(row.name);
    }
    byName.set(row.name, { name: row.name, value, type: row.type });
  }
  return [...byName.values()];
}
