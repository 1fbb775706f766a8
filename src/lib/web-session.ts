import type { Role } from "@ambit/protocol";
import { and, eq, sql } from "drizzle-orm";
import type { SelectedFields } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.ts";
import { apiKeys, memberships, webSessions } from "../db/schema.ts";

// Here rather than in services/: the Durable Objects check the credential a connection was
// attached with (a web session among them) without importing services.

/** A session lives 30 days from sign-in at most, and ends after 7 days unused. */
export const SESSION_ABSOLUTE_MS = 30 * 24 * 3_600_000;
export const SESSION_IDLE_MS = 7 * 24 * 3_600_000;

/**
 * What stands for a session where the code names the credential a caller acts through
 * (`actor.keyId`: idempotency records, attach tokens, `live_attachments`): `session:<uid>`,
 * never an API key's id, so every check of "the key behind it" reads the session instead.
 */
const PREFIX = "session:";
export const sessionCredential = (uid: string) => `${PREFIX}${uid}`;
/** The session's uid if `keyId` names a web session. */
export const sessionUidOf = (keyId: string | undefined) =>
  keyId?.startsWith(PREFIX) ? keyId.slice(PREFIX.length) : undefined;

/**
 * A session read as the API key it acts like, for `keyStanding` (lib/roles.ts): the role of the
 * key it came from (a link's session: its user's role), revoked with that key, expiring at the
 * first of its absolute end, its idle end and that key's expiry; `memberRole` is its user's role
 * now. Select it with `where(sessionIs(...))`.
 */
export const SESSION_AS_KEY = {
  userId: webSessions.userId,
  role: sql<Role>`coalesce(${apiKeys.role}, 'owner')`.as("key_role"),
  // a session whose key row is gone acts no more
  revokedAt: sql<number | null>`case when ${webSessions.keyId} is not null and ${apiKeys.id} is null
    then 0 else ${apiKeys.revokedAt} end`.as("key_revoked"),
  expiresAt: sql<number>`min(${webSessions.expiresAt},
    ${webSessions.lastSeenAt} + ${SESSION_IDLE_MS},
    coalesce(${apiKeys.expiresAt}, ${webSessions.expiresAt}))`.as("key_expires"),
  principalType: sql<"user">`'user'`.as("principal_type"),
  personal: webSessions.personal,
  memberRole: memberships.role,
};

/** Sessions read as `SESSION_AS_KEY` and `extra` fields; the caller adds the `where`. */
export function selectSessionsAsKeys<E extends SelectedFields>(db: Db, extra: E) {
  return db
    .select({ ...SESSION_AS_KEY, ...extra })
    .from(webSessions)
    .leftJoin(apiKeys, eq(apiKeys.id, webSessions.keyId))
    .leftJoin(
      memberships,
      and(eq(memberships.teamId, webSessions.teamId), eq(memberships.userId, webSessions.userId)),
    );
}

/** `SESSION_AS_KEY` of the session `uid` of this team (and user, when given). */
export function sessionAsKey(db: Db, ref: { teamId: string; uid: string; userId?: string }) {
  const user = ref.userId ? [eq(webSessions.userId, ref.userId)] : [];
  return selectSessionsAsKeys(db, {})
    .where(and(eq(webSessions.id, ref.uid), eq(webSessions.teamId, ref.teamId), ...user))
    .limit(1);
}
