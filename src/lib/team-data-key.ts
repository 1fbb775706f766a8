import { and, eq, ne } from "drizzle-orm";
import { createDb } from "../db/client.ts";
import { teamKeys } from "../db/schema.ts";
import { getConfig } from "../env.ts";
import { keyId, type PlatformKeys, newDataKey, openDataKey, rewrapDataKey } from "./envelope.ts";
import { log } from "./log.ts";

// Here rather than in services/: both the secrets service and the HostPool Durable Object (which
// opens secrets at assignment and may not import services) read the team's data key.

type Stored = { wrappedKey: string; kid: string };

export const platformKeys = (env: Env): PlatformKeys => {
  const c = getConfig(env);
  return { current: c.SECRETS_KEY, previous: c.SECRETS_KEY_PREVIOUS };
};

const storedColumns = { wrappedKey: teamKeys.wrappedKey, kid: teamKeys.kid };

async function readStored(db: D1Database, teamId: string): Promise<Stored | null> {
  const [row] = await createDb(db)
    .select(storedColumns)
    .from(teamKeys)
    .where(eq(teamKeys.teamId, teamId));
  return row ?? null;
}

/**
 * The team's data key. `create` makes one on first use (a concurrent creator wins, and both then
 * use the stored key). A key still wrapped by `SECRETS_KEY_PREVIOUS` is rewrapped under the current key.
 */
export async function teamDataKey(
  env: Env,
  teamId: string,
  create: boolean,
): Promise<CryptoKey | null> {
  const keys = platformKeys(env);
  let stored = await readStored(env.DB, teamId);
  if (!stored) {
    if (!create) return null;
    const fresh = await newDataKey(keys, teamId);
    await createDb(env.DB)
      .insert(teamKeys)
      .values({ teamId, wrappedKey: fresh.wrappedKey, kid: fresh.kid, createdAt: Date.now() })
      .onConflictDoNothing({ target: teamKeys.teamId });
    stored = (await readStored(env.DB, teamId))!;
  }
  const opened = await openDataKey(keys, teamId, stored);
  if (opened.stale) await rewrapTeamKey(env, teamId, stored);
  return opened.key;
}

/**
 * The team's data key from a `team_keys` row the caller read (joined to another read, to save a
 * round trip). A key still wrapped by `SECRETS_KEY_PREVIOUS` opens, and is left for the
 * every-minute cron to rewrap.
 */
export async function openTeamDataKey(env: Env, teamId: string, stored: Stored) {
  return (await openDataKey(platformKeys(env), teamId, stored)).key;
}

/** Wraps the team's data key under the current platform key; true when it was wrapped by an older one. */
export async function rewrapTeamKey(
  env: Env,
  teamId: string,
  stored?: Stored | null,
): Promise<{ rewrapped: boolean; kid: string | null }> {
  const keys = platformKeys(env);
  stored ??= await readStored(env.DB, teamId);
  if (!stored) return { rewrapped: false, kid: null };
  const next = await rewrapDataKey(keys, teamId, stored);
  if (next.kid === stored.kid) return { rewrapped: false, kid: stored.kid };
  // conditional on the old wrapping, so two concurrent rewraps cannot interleave badly
  await createDb(env.DB)
    .update(teamKeys)
    .set({ wrappedKey: next.wrappedKey, kid: next.kid, rotatedAt: Date.now() })
    .where(and(eq(teamKeys.teamId, teamId), eq(teamKeys.kid, stored.kid)));
  return { rewrapped: true, kid: next.kid };
}

/**
 * After a `SECRETS_KEY` rotation: rewraps up to `limit` teams' data keys still wrapped by another
 * key (the every-minute cron calls this, so every team converges without anyone writing a secret).
 * A key that opens with neither key is left alone and logged by team, never by content.
 */
export async function rewrapStaleTeamKeys(env: Env, limit = 100): Promise<number> {
  const keys = platformKeys(env);
  if (!keys.previous) return 0;
  const current = await keyId(keys.current);
  const results = await createDb(env.DB)
    .select({ teamId: teamKeys.teamId, ...storedColumns })
    .from(teamKeys)
    .where(ne(teamKeys.kid, current))
    .limit(limit);
  let rewrapped = 0;
  for (const row of results) {
    try {
      if ((await rewrapTeamKey(env, row.teamId, row)).rewrapped) rewrapped++;
    } catch (err) {
      log.error("team data key opens with neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS", {
        team_id: row.teamId,
        kid: row.kid,
        error: err,
      });
    }
  }
  return rewrapped;
}
