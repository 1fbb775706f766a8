import type { Role } from "@ambit/protocol";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiKeys, memberships, serviceAccounts } from "../db/schema.ts";
import { statementOnce } from "../db/statements.ts";
import { keyStanding } from "./roles.ts";
import { sessionAsKey, sessionUidOf } from "./web-session.ts";

// Here rather than in services/: the HostPool Durable Object (which may not import services)
// checks the key a host connected with before it gives the host a run.

/**
 * What an API key grants now, for a credential minted or a connection opened through it (an attach
 * token, a download link, a LOCAL run's HOST token, a host's pool connection): its role capped by its user's current team role, or null when
 * the key was revoked, expired, is another principal's, or its user left the team.
 */
export async function keyRoleNow(
  db: Db,
  key: { teamId: string; keyId: string; principalId?: string },
  now = Date.now(),
): Promise<Role | null> {
  return (await keyGrantNow(db, key, now))?.role ?? null;
}

/**
 * `keyRoleNow` with whether the key reaches its principal's personal resources (`personal_access`).
 * A web session (`session:<uid>`, lib/web-session.ts) is read like the key it came from.
 */
export async function keyGrantNow(
  db: Db,
  key: { teamId: string; keyId: string; principalId?: string },
  now = Date.now(),
): Promise<{ role: Role; personal: boolean } | null> {
  const session = sessionUidOf(key.keyId);
  if (session !== undefined) {
    const ref = { teamId: key.teamId, uid: session, userId: key.principalId };
    const [row] = await sessionAsKey(db, ref);
    const standing = row ? keyStanding(row, row.memberRole, now) : undefined;
    if (!standing || !("role" in standing)) return null;
    return { role: standing.role, personal: Boolean(row.personal) };
  }
  const row = await keyGrantRow(db, key).first<KeyGrantRow>();
  return grantOf(row, key, now);
}

/** An API key with its principal's current role in the team (`keyGrantRow`). */
export type KeyGrantRow = {
  principalType: "user" | "service_account";
  principalId: string;
  role: Role;
  expiresAt: number | null;
  revokedAt: number | null;
  personal: number | boolean;
  memberRole: Role | null;
  accountRole: Role | null;
};

/**
 * The read behind `keyGrantNow`, built once, so that the HostPool can put it in the one D1 batch
 * of an assignment (durable-objects/host-pool/assignment-reads.ts). Every column is aliased: the
 * three joined tables each have a `role`, which a raw row would hold once.
 */
export const keyGrantRow = statementOnce<{ teamId: string; keyId: string }>((db) =>
  db
    .select({
      principalType: sql`${apiKeys.principalType}`.as("principalType"),
      principalId: sql`${apiKeys.principalId}`.as("principalId"),
      role: sql`${apiKeys.role}`.as("role"),
      expiresAt: sql`${apiKeys.expiresAt}`.as("expiresAt"),
      revokedAt: sql`${apiKeys.revokedAt}`.as("revokedAt"),
      personal: sql`${apiKeys.personalAccess}`.as("personal"),
      memberRole: sql`${memberships.role}`.as("memberRole"),
      accountRole: sql`${serviceAccounts.role}`.as("accountRole"),
    })
    .from(apiKeys)
    .leftJoin(
      memberships,
      and(eq(memberships.teamId, apiKeys.teamId), eq(memberships.userId, apiKeys.principalId)),
    )
    .leftJoin(
      serviceAccounts,
      and(eq(serviceAccounts.teamId, apiKeys.teamId), eq(serviceAccounts.id, apiKeys.principalId)),
    )
    .where(
      and(eq(apiKeys.id, sql.placeholder("keyId")), eq(apiKeys.teamId, sql.placeholder("teamId"))),
    )
    .limit(1),
);

/** What a key's row (`keyGrantRow`) grants now: see `keyGrantNow`. */
export function grantOf(
  row: KeyGrantRow | null,
  key: { principalId?: string },
  now: number,
): { role: Role; personal: boolean } | null {
  if (!row || (key.principalId !== undefined && row.principalId !== key.principalId)) return null;
  const standing = keyStanding(row, row.memberRole ?? row.accountRole, now);
  return "role" in standing ? { role: standing.role, personal: Boolean(row.personal) } : null;
}
