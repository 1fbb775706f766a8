import type { KeyScope, Role } from "@ambit/protocol";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiKeys, memberships, serviceAccounts, teamConfigVersions, users } from "../db/schema.ts";
import { statementOnce } from "../db/statements.ts";
import { AppError } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { API_KEY_PREFIX } from "./api-keys.ts";
import { type KeyDenial, keyStanding } from "../lib/roles.ts";
import { effectiveScopes } from "../lib/scopes.ts";
import { keyAuditName } from "./audit/actor.ts";
import type { Actor } from "./context.ts";

const LAST_USED_GRANULARITY_MS = 60_000;

const KEY_FIELDS = {
  id: apiKeys.id,
  teamId: apiKeys.teamId,
  principalType: apiKeys.principalType,
  principalId: apiKeys.principalId,
  role: apiKeys.role,
  personalAccess: apiKeys.personalAccess,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
  memberRole: memberships.role,
  accountRole: serviceAccounts.role,
  scopes: apiKeys.scopes,
  pools: apiKeys.pools,
  configVersion: teamConfigVersions.version,
  // what an audited write through the key names its actor by (services/audit/actor.ts)
  keyName: apiKeys.name,
  personEmail: users.email,
  personName: users.displayName,
};
type KeyRow = {
  id: string;
  teamId: string;
  principalType: "user" | "service_account";
  principalId: string;
  role: Role;
  personalAccess: number | boolean;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  memberRole: Role | null;
  accountRole: Role | null;
  /** raw: JSON text (the statement's `.raw()` skips drizzle's decoding) */
  scopes: string | null;
  pools: string | null;
  configVersion: number | null;
  keyName: string;
  personEmail: string | null;
  personName: string | null;
};

/** An API key by its hash, with its principal's team role and the team's configuration version (built once: every request runs it). */
const keyLookup = statementOnce<{ hash: string }>((db) =>
  db
    .select(KEY_FIELDS)
    .from(apiKeys)
    .leftJoin(
      memberships,
      and(eq(memberships.teamId, apiKeys.teamId), eq(memberships.userId, apiKeys.principalId)),
    )
    .leftJoin(
      serviceAccounts,
      and(eq(serviceAccounts.teamId, apiKeys.teamId), eq(serviceAccounts.id, apiKeys.principalId)),
    )
    // read here so that creating a run needs no query of its own for it (see loadTeamConfig)
    .leftJoin(teamConfigVersions, eq(teamConfigVersions.teamId, apiKeys.teamId))
    // the audit entry's actor name, so an audited write reads no names of its own
    .leftJoin(users, eq(users.id, apiKeys.principalId))
    .where(eq(apiKeys.keyHash, sql.placeholder("hash")))
    .limit(1),
);
const FIELD_NAMES = Object.keys(KEY_FIELDS);

const KEY_DENIED: Record<KeyDenial, string> = {
  revoked: "This API key was revoked",
  expired: "This API key has expired",
  not_member: "This API key's user is no longer a member of its team",
};

const denied = (why: string) =>
  new AppError(
    "authentication_required",
    `${why}. Send 'Authorization: Bearer <API key>' with a key of this team: one your team's admin made for you (\`ambit api-key create\`), or, on a platform started locally with \`npm start\`, the bootstrap owner's key it printed or a new one from \`npm run owner-key\`.`,
  );

/**
 * Resolves a bearer API key to its team and actor. The key's role is capped by the principal's
 * current team role, so removing a member or lowering their role takes effect on the next request.
 * `actor.personal` says whether the key reaches its principal's personal resources (services/context.ts `ownPersonal`).
 * `configVersion` is the team's configuration version at this moment (see `loadTeamConfig`).
 * `touch` (to run after the response) records the key's last use at most once a minute.
 * `auditName` is how an audit entry names the caller (its key and member, read now).
 */
export async function authenticateApiKey(
  db: Db,
  authorization: string | undefined,
  now = Date.now(),
): Promise<{
  teamId: string;
  actor: Extract<Actor, { keyId: string }>;
  configVersion: number;
  auditName: string;
  touch?: () => Promise<unknown>;
}> {
  if (!authorization) throw denied("No API key was sent");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1].startsWith(API_KEY_PREFIX))
    throw denied("The Authorization header is not a valid bearer API key");
  const hash = await sha256Hex(match[1]);
  // positional: two of the columns are named `role`
  const [values] = await keyLookup(db, { hash }).raw();
  if (!values) throw denied("This API key is not known");
  const row = Object.fromEntries(FIELD_NAMES.map((name, i) => [name, values[i]])) as KeyRow;
  const standing = keyStanding(row, row.memberRole ?? row.accountRole, now);
  if ("denied" in standing) throw denied(KEY_DENIED[standing.denied]);
  const { role } = standing;
  const minted = row.scopes === null ? null : (JSON.parse(row.scopes) as KeyScope[]);
  const stale = row.lastUsedAt === null || row.lastUsedAt < now - LAST_USED_GRANULARITY_MS;
  return {
    teamId: row.teamId,
    // raw values: D1 gives the boolean column as 0/1
    actor: {
      type: row.principalType,
      id: row.principalId,
      role,
      keyId: row.id,
      personal: Boolean(row.personalAccess),
      ...(minted ? { scopes: effectiveScopes(minted, role) } : {}),
      ...(row.pools ? { pools: JSON.parse(row.pools) as string[] } : {}),
    },
    configVersion: row.configVersion ?? 0,
    auditName: keyAuditName(
      row.keyName,
      row.personEmail === null
        ? undefined
        : { email: row.personEmail, displayName: row.personName },
      row.principalId,
    ),
    touch: stale
      ? () =>
          db
            .update(apiKeys)
            .set({ lastUsedAt: now })
            .where(
              and(
                eq(apiKeys.id, row.id),
                or(
                  isNull(apiKeys.lastUsedAt),
                  lt(apiKeys.lastUsedAt, sql`${now - LAST_USED_GRANULARITY_MS}`),
                ),
              ),
            )
      : undefined,
  };
}
