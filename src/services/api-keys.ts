import { type ApiKey, type CreateApiKeyRequest, KeyScope, type Role } from "@ambit/protocol";
import { and, desc, eq, isNull } from "drizzle-orm";
import {
  agentIdentities,
  apiKeys,
  memberships,
  serviceAccounts,
  webSessions,
} from "../db/schema.ts";
import { AppError, notFound } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { newUid } from "../lib/ids.ts";
import { iso, isoOrNull } from "../lib/time.ts";
import { sessionUidOf } from "../lib/web-session.ts";
import { effectiveScopes, scopesOfRole } from "../lib/scopes.ts";
import { type Ctx, lowerRole, ownPersonal, requireRole, roleAtLeast } from "./context.ts";
import { recheckLiveAccess } from "./runs/live-access.ts";
import { endSessionsOfKey } from "./web-sessions.ts";
import { noteAuditChanges } from "../lib/audit-note.ts";

export const API_KEY_PREFIX = "ambit_";
const VISIBLE_CHARS = API_KEY_PREFIX.length + 6;

type KeyRow = typeof apiKeys.$inferSelect;

/** A new secret key and the row that stores only its hash. */
export async function mintApiKey(input: {
  teamId: string;
  principal: { type: "user" | "service_account"; id: string };
  name: string;
  role: Role;
  createdBy: string | null;
  /** whether the key reaches its principal's personal resources (never for a key minted for someone else) */
  personalAccess: boolean;
  expiresAt: number | null;
  now: number;
  /** null or absent: everything its role allows */
  scopes?: KeyScope[] | null;
  pools?: string[] | null;
}): Promise<{ key: string; row: KeyRow }> {
  const key = API_KEY_PREFIX + newUid(40);
  const row: KeyRow = {
    id: newUid(),
    teamId: input.teamId,
    principalType: input.principal.type,
    principalId: input.principal.id,
    name: input.name,
    prefix: key.slice(0, VISIBLE_CHARS),
    keyHash: await sha256Hex(key),
    role: input.role,
    createdBy: input.createdBy,
    personalAccess: input.personalAccess,
    createdAt: input.now,
    expiresAt: input.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
    scopes: input.scopes ?? null,
    pools: input.pools ?? null,
  };
  return { key, row };
}

/** The wire view of a key; `agentUid` when its principal is a named agent. */
export function toApiKey(row: KeyRow, agentUid: string | null = null): ApiKey {
  return {
    uid: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    principal: { type: row.principalType, uid: row.principalId },
    scopes: effectiveScopes(row.scopes, row.role),
    pools: row.pools,
    agent_uid: agentUid,
    personal_access: row.personalAccess,
    created_at: iso(row.createdAt),
    expires_at: isoOrNull(row.expiresAt),
    last_used_at: isoOrNull(row.lastUsedAt),
    revoked_at: isoOrNull(row.revokedAt),
  };
}

/**
 * Mints a key. Anyone may mint keys for themselves (a role up to their own, expiring no later than
 * the key they call with); admins may also mint for another member whose role is not above theirs,
 * for a service account, or for a named agent. A key minted for someone else is delegated: whoever
 * minted it holds it too, so it acts as its principal on the team's resources only, never on their
 * personal ones (`personal_access` false). Its holder turns it into a personal key by minting one
 * for themselves with it, once per membership: if someone else did that first, the member is
 * refused and learns it. Scopes: never more than the key's role allows, nor than the caller's key has.
 */
export async function createApiKey({ ctx, input }: { ctx: Ctx; input: CreateApiKeyRequest }) {
  const principal = await keyPrincipal(ctx, input);
  const ceiling = lowerRole(ctx.actor.role, principal.role);
  const role = input.role ?? ceiling;
  if (!roleAtLeast(ceiling, role)) {
    throw new AppError(
      "not_authorized",
      `a key's role may not exceed its holder's or yours: the ceiling is '${ceiling}', the key asks for '${role}'`,
    );
  }
  const scopes = keyScopes(ctx, role, input.scopes);
  const now = Date.now();
  let expiresAt = input.expires_at
    ? Date.parse(input.expires_at)
    : input.expires_in_days
      ? now + input.expires_in_days * 86_400_000
      : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw new AppError("invalid_request", "expires_at must be in the future", {
      errors: [{ path: "expires_at", message: "in the past" }],
    });
  }
  if (principal.self) {
    // a key never outlives the key that minted it for the same holder
    const parent = await callingKeyExpiry(ctx);
    if (parent !== null && (expiresAt === null || expiresAt > parent)) expiresAt = parent;
  }
  if (principal.self && ownPersonal(ctx) === undefined) await takePersonalKey(ctx, now);
  const { key, row } = await mintApiKey({
    teamId: ctx.teamId,
    principal: { type: principal.type, id: principal.id },
    name: input.name,
    role,
    createdBy: ctx.actor.id,
    // a service account's or agent's keys are its own: nobody's personal resources are behind them
    personalAccess: principal.self || principal.type === "service_account",
    expiresAt,
    now,
    scopes,
    pools: input.pools ?? null,
  });
  await ctx.db.insert(apiKeys).values(row);
  const holder = { after: principal.id };
  noteAuditChanges(ctx, {
    holder,
    role: { after: role },
    name: { after: input.name },
    ...(row.scopes ? { scopes: { after: row.scopes } } : {}),
    ...(row.pools ? { pools: { after: row.pools } } : {}),
  });
  return { ...toApiKey(row, principal.agent ? principal.id : null), key };
}

/**
 * The scopes a new key is minted with (null: its role's all): those asked for, each allowed by
 * the key's role and held by the caller's key. Without a request, a limited caller's own.
 */
function keyScopes(ctx: Ctx, role: Role, asked: KeyScope[] | undefined): KeyScope[] | null {
  const caller = ctx.actor.type === "system" ? undefined : ctx.actor.scopes;
  if (!asked) return caller ? caller.filter((s) => scopesOfRole(role).includes(s)) : null;
  const unique = [...new Set(asked)];
  const aboveRole = unique.filter((s) => !scopesOfRole(role).includes(s));
  if (aboveRole.length) {
    throw new AppError(
      "not_authorized",
      `a '${role}' key may not hold ${aboveRole.join(", ")}: a '${role}' has ${scopesOfRole(role).join(", ")}. Ask for fewer scopes, or a higher role (up to yours and its holder's).`,
    );
  }
  const notHeld = caller ? unique.filter((s) => !caller.includes(s)) : [];
  if (notHeld.length) {
    throw new AppError(
      "insufficient_scope",
      `a key never gets more than the key that mints it: this key lacks ${notHeld.join(", ")}`,
      { required_scope: notHeld[0], key_scopes: caller },
    );
  }
  return KeyScope.options.filter((x) => unique.includes(x)); // the catalog's order
}

type KeyPrincipal = {
  type: "user" | "service_account";
  id: string;
  role: Role;
  self: boolean;
  /** a named agent's key: its runs run as the agent */
  agent?: boolean;
};

/**
 * Whom a new key acts as: the caller, or (admins) another member of the team of a role not above
 * theirs, a service account of the team, or a named agent (by a person, as Oz: humans manage agents).
 */
async function keyPrincipal(ctx: Ctx, input: CreateApiKeyRequest): Promise<KeyPrincipal> {
  if (ctx.actor.type === "system")
    throw new AppError("operation_not_supported", "the system actor cannot own API keys");
  if (input.service_account_uid) {
    requireRole(ctx, "admin", "Creating API keys for service accounts");
    const [sa] = await ctx.db
      .select({ role: serviceAccounts.role })
      .from(serviceAccounts)
      .where(
        and(
          eq(serviceAccounts.teamId, ctx.teamId),
          eq(serviceAccounts.id, input.service_account_uid),
        ),
      )
      .limit(1);
    if (!sa) throw notFound("Service account", input.service_account_uid);
    return { type: "service_account", id: input.service_account_uid, role: sa.role, self: false };
  }
  if (input.agent_uid) {
    requireRole(ctx, "admin", "Creating API keys for named agents");
    if (ctx.actor.type !== "user")
      throw new AppError(
        "not_authorized",
        "Creating API keys for named agents is for people: use a user's API key",
      );
    const [agent] = await ctx.db
      .select({ id: agentIdentities.id })
      .from(agentIdentities)
      .where(and(eq(agentIdentities.teamId, ctx.teamId), eq(agentIdentities.id, input.agent_uid)))
      .limit(1);
    if (!agent) throw notFound("Agent", input.agent_uid);
    const id = input.agent_uid;
    return { type: "service_account", id, role: ctx.actor.role, self: false, agent: true };
  }
  const userUid = input.user_uid;
  if (!userUid || userUid === ctx.actor.id)
    return { type: ctx.actor.type, id: ctx.actor.id, role: ctx.actor.role, self: true };
  requireRole(ctx, "admin", "Creating API keys for other members");
  const [m] = await ctx.db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, userUid)))
    .limit(1);
  if (!m) throw notFound("Member", userUid);
  if (!roleAtLeast(ctx.actor.role, m.role)) {
    throw new AppError(
      "not_authorized",
      `member ${userUid} is '${m.role}' and you act as '${ctx.actor.role}': only a '${m.role}' mints keys for a '${m.role}'`,
    );
  }
  return { type: "user", id: userUid, role: m.role, self: false };
}

async function callingKeyExpiry(ctx: Ctx): Promise<number | null> {
  if (ctx.actor.type === "system") return null;
  // a web session: the key it came from (a sign-in link's session is its user in person)
  const session = sessionUidOf(ctx.actor.keyId);
  const expiry = { expiresAt: apiKeys.expiresAt };
  const [k] = session
    ? await ctx.db
        .select(expiry)
        .from(webSessions)
        .innerJoin(apiKeys, eq(apiKeys.id, webSessions.keyId))
        .where(eq(webSessions.id, session))
        .limit(1)
    : await ctx.db.select(expiry).from(apiKeys).where(eq(apiKeys.id, ctx.actor.keyId)).limit(1);
  return k?.expiresAt ?? null;
}

/**
 * A delegated key's holder takes their personal key, once per membership (trust on first use,
 * marked atomically on the membership): a member whose first key was used by its minter to take it
 * is refused here, and knows; removing and adding them again revokes every key of theirs, deletes
 * their personal secrets and starts afresh.
 */
async function takePersonalKey(ctx: Ctx, now: number): Promise<void> {
  if (ctx.actor.type !== "user") return; // a service account's keys are its own: nobody is behind it
  const marked = await ctx.db
    .update(memberships)
    .set({ personalKeyAt: now })
    .where(
      and(
        eq(memberships.teamId, ctx.teamId),
        eq(memberships.userId, ctx.actor.id),
        isNull(memberships.personalKeyAt),
      ),
    )
    .returning({ at: memberships.personalKeyAt });
  if (marked.length) return;
  const [m] = await ctx.db
    .select({ at: memberships.personalKeyAt })
    .from(memberships)
    .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, ctx.actor.id)))
    .limit(1);
  throw new AppError(
    "not_authorized",
    `this API key was minted for you by someone else, and your personal key was already taken${m?.at ? ` on ${new Date(m.at).toISOString()}` : ""}: mint further keys with that personal key. If you did not take it, tell a team owner: removing you from the team and adding you again revokes every key of yours.`,
  );
}

export async function listApiKeys({ ctx }: { ctx: Ctx }) {
  requireRole(ctx, "admin", "Listing API keys");
  const rows = await ctx.db
    .select({ key: apiKeys, agent: agentIdentities.id })
    .from(apiKeys)
    .leftJoin(
      agentIdentities,
      and(eq(agentIdentities.teamId, apiKeys.teamId), eq(agentIdentities.id, apiKeys.principalId)),
    )
    .where(eq(apiKeys.teamId, ctx.teamId))
    .orderBy(desc(apiKeys.createdAt));
  return rows.map((r) => toApiKey(r.key, r.agent));
}

/** Revokes a key (admins); a key of a member whose role is above the caller's (an owner's, for an admin) is refused. */
export async function revokeApiKey({ ctx, uid }: { ctx: Ctx; uid: string }) {
  requireRole(ctx, "admin", "Revoking API keys");
  const [row] = await ctx.db
    .select({
      revokedAt: apiKeys.revokedAt,
      principalId: apiKeys.principalId,
      holderRole: memberships.role,
    })
    .from(apiKeys)
    .leftJoin(
      memberships,
      and(eq(memberships.teamId, apiKeys.teamId), eq(memberships.userId, apiKeys.principalId)),
    )
    .where(and(eq(apiKeys.teamId, ctx.teamId), eq(apiKeys.id, uid)))
    .limit(1);
  if (!row) throw notFound("API key", uid);
  if (row.holderRole && !roleAtLeast(ctx.actor.role, row.holderRole)) {
    throw new AppError(
      "not_authorized",
      `API key ${uid} belongs to a '${row.holderRole}' and you act as '${ctx.actor.role}': only a '${row.holderRole}' revokes it`,
    );
  }
  if (row.revokedAt !== null) return;
  await ctx.db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(eq(apiKeys.id, uid), isNull(apiKeys.revokedAt)));
  await recheckLiveAccess(ctx, { keyId: uid });
  await endSessionsOfKey(ctx, uid);
  noteAuditChanges(ctx, { holder: { before: row.principalId }, revoked: { after: true } });
}

/**
 * Revokes every key of a service account or named agent (a statement, for the batch that deletes
 * it): nobody else holds a principal's keys once it is gone.
 */
export const revokeKeysOfAccount = (ctx: Ctx, principalId: string) =>
  ctx.db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(
      and(
        eq(apiKeys.teamId, ctx.teamId),
        eq(apiKeys.principalType, "service_account"),
        eq(apiKeys.principalId, principalId),
        isNull(apiKeys.revokedAt),
      ),
    );
