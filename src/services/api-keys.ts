import type { ApiKey, CreateApiKeyRequest, Role } from "@ambit/protocol";
import { and, desc, eq, isNull } from "drizzle-orm";
import { apiKeys, memberships } from "../db/schema.ts";
import { AppError, notFound } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { newUid } from "../lib/ids.ts";
import { iso, isoOrNull } from "../lib/time.ts";
import { type Ctx, lowerRole, requireRole, roleAtLeast } from "./context.ts";
import { recheckLiveAccess } from "./runs/live-access.ts";

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
  expiresAt: number | null;
  now: number;
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
    createdAt: input.now,
    expiresAt: input.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
  };
  return { key, row };
}

export function toApiKey(row: KeyRow): ApiKey {
  return {
    uid: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    principal: { type: row.principalType, uid: row.principalId },
    created_at: iso(row.createdAt),
    expires_at: isoOrNull(row.expiresAt),
    last_used_at: isoOrNull(row.lastUsedAt),
    revoked_at: isoOrNull(row.revokedAt),
  };
}

export async function createApiKey({ ctx, input }: { ctx: Ctx; input: CreateApiKeyRequest }) {
  requireRole(ctx, "admin", "Creating API keys");
  const principal = await keyPrincipal(ctx, input.user_uid);
  const ceiling = lowerRole(ctx.actor.role, principal.role);
  const role = input.role ?? ceiling;
  if (!roleAtLeast(ceiling, role)) {
    throw new AppError(
      "not_authorized",
      `a key's role may not exceed its holder's or yours: the ceiling is '${ceiling}', the key asks for '${role}'`,
    );
  }
  const now = Date.now();
  const expiresAt = input.expires_at
    ? Date.parse(input.expires_at)
    : input.expires_in_days
      ? now + input.expires_in_days * 86_400_000
      : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw new AppError("invalid_request", "expires_at must be in the future", { errors: [{ path: "expires_at", message: "in the past" }] });
  }
  const { key, row } = await mintApiKey({
    teamId: ctx.teamId,
    principal: { type: principal.type, id: principal.id },
    name: input.name,
    role,
    createdBy: ctx.actor.id,
    expiresAt,
    now,
  });
  await ctx.db.insert(apiKeys).values(row);
  return { ...toApiKey(row), key };
}

/** Whom a new key acts as: the caller, or another member of the team. */
async function keyPrincipal(ctx: Ctx, userUid: string | undefined): Promise<{ type: "user" | "service_account"; id: string; role: Role }> {
  if (ctx.actor.type === "system") throw new AppError("operation_not_supported", "the system actor cannot own API keys");
  if (!userUid || userUid === ctx.actor.id) return { type: ctx.actor.type, id: ctx.actor.id, role: ctx.actor.role };
  const [m] = await ctx.db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, ctx.teamId), eq(memberships.userId, userUid)))
    .limit(1);
  if (!m) throw notFound("Member", userUid);
  return { type: "user", id: userUid, role: m.role };
}

export async function listApiKeys({ ctx }: { ctx: Ctx }) {
  requireRole(ctx, "admin", "Listing API keys");
  const rows = await ctx.db.select().from(apiKeys).where(eq(apiKeys.teamId, ctx.teamId)).orderBy(desc(apiKeys.createdAt));
  return rows.map(toApiKey);
}

export async function revokeApiKey({ ctx, uid }: { ctx: Ctx; uid: string }) {
  requireRole(ctx, "admin", "Revoking API keys");
  const [row] = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.teamId, ctx.teamId), eq(apiKeys.id, uid)))
    .limit(1);
  if (!row) throw notFound("API key", uid);
  if (row.revokedAt !== null) return;
  await ctx.db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(eq(apiKeys.id, uid), isNull(apiKeys.revokedAt)));
  await recheckLiveAccess(ctx, { keyId: uid });
}
