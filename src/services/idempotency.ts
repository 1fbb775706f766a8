import type { Role } from "@ambit/protocol";
import { and, eq, lt, lte } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { idempotencyKeys } from "../db/schema.ts";
import { AppError } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { seal, unseal } from "../lib/seal.ts";
import { type IdempotencyClaim, roleAtLeast } from "./context.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** How long a claimed key stays locked while its first request runs; after that a retry may take over. */
const LOCK_MS = 60_000;

export type StoredResponse = { status: number; body: string };

/**
 * Reserves `key` for this request. Returns the stored response when the same request already
 * completed, or a claim the caller completes once it has answered. The same key with a different
 * request is refused; a key whose first request is still running is a retryable conflict.
 * Records are stored under the key's SHA-256 and their answers sealed with the key itself; answers
 * that carry a secret are never stored at all (see middleware/idempotency.ts).
 *
 * `scope` names the caller (an API key's team and id, see `callerScope`), so a record answers only
 * the caller that made it. `callerRole` is the caller's role now: an answer stored for a stronger
 * role is not replayed to a weaker one (a demoted key gets the 403 a fresh request would get).
 */
export async function claimIdempotencyKey(
  db: Db,
  request: { scope: string; key: string; requestHash: string; callerRole?: Role },
  now = Date.now(),
): Promise<{ replay: StoredResponse } | { claim: IdempotencyClaim }> {
  const input = {
    scope: request.scope,
    key: await sha256Hex(request.key),
    requestHash: request.requestHash,
    callerRole: request.callerRole ?? null,
  };
  const claim: IdempotencyClaim = {
    scope: input.scope,
    key: input.key,
    requestHash: input.requestHash,
    secret: request.key,
    completed: false,
  };
  return claimHashed(db, input, claim, now);
}

/** The scope of an API key's records: its team and the key itself (another key is another caller). */
export const callerScope = (teamId: string, keyId: string) => `${teamId}/${keyId}`;

async function claimHashed(
  db: Db,
  input: { scope: string; key: string; requestHash: string; callerRole: Role | null },
  claim: IdempotencyClaim,
  now: number,
): Promise<{ replay: StoredResponse } | { claim: IdempotencyClaim }> {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      scope: input.scope,
      key: input.key,
      requestHash: input.requestHash,
      callerRole: input.callerRole,
      status: "pending",
      lockedUntil: now + LOCK_MS,
      createdAt: now,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length) return { claim };

  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, input.scope), eq(idempotencyKeys.key, input.key)))
    .limit(1);
  if (!row || row.expiresAt <= now) {
    // expired (or just pruned): start over with a fresh reservation
    await db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.scope, input.scope),
          eq(idempotencyKeys.key, input.key),
          lt(idempotencyKeys.expiresAt, now + 1),
        ),
      );
    return claimHashed(db, input, claim, now);
  }
  if (row.requestHash !== input.requestHash) {
    throw new AppError(
      "idempotency_key_reused",
      "this Idempotency-Key was already used with a different request; use a new key for a new request",
    );
  }
  if (row.callerRole && !(input.callerRole && roleAtLeast(input.callerRole, row.callerRole))) {
    throw new AppError(
      "not_authorized",
      `this Idempotency-Key was first answered when this API key acted as '${row.callerRole}'; it now acts as '${input.callerRole ?? "nobody"}', so the answer is not replayed. Ask a team admin for the access this request needs.`,
    );
  }
  if (row.status === "completed")
    return {
      replay: { status: row.responseStatus!, body: await unseal(claim.secret, row.responseBody!) },
    };
  if (row.lockedUntil > now) {
    throw new AppError(
      "conflict",
      "a request with this Idempotency-Key is still being processed; retry in a moment",
    );
  }
  // the first attempt died before answering: take the key over
  const taken = await db
    .update(idempotencyKeys)
    .set({ lockedUntil: now + LOCK_MS, callerRole: input.callerRole })
    .where(
      and(
        eq(idempotencyKeys.scope, input.scope),
        eq(idempotencyKeys.key, input.key),
        eq(idempotencyKeys.lockedUntil, row.lockedUntil),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  if (!taken.length)
    throw new AppError(
      "conflict",
      "a request with this Idempotency-Key is still being processed; retry in a moment",
    );
  return { claim };
}

export type SealedResponse = { status: number; sealedBody: string };

/** Seals an answer for storage (await this before building the statement for a batch). */
export async function sealResponse(
  claim: IdempotencyClaim,
  response: StoredResponse,
): Promise<SealedResponse> {
  return { status: response.status, sealedBody: await seal(claim.secret, response.body) };
}

/** The statement that stores the answer of a claimed key; services put it in their own batch. */
export function completeIdempotencyStatement(
  db: Db,
  claim: IdempotencyClaim,
  response: SealedResponse,
) {
  return db
    .update(idempotencyKeys)
    .set({
      status: "completed",
      responseStatus: response.status,
      responseBody: response.sealedBody,
    })
    .where(and(eq(idempotencyKeys.scope, claim.scope), eq(idempotencyKeys.key, claim.key)));
}

/** Frees a claim whose request failed, so a retry runs it again. */
export function releaseIdempotencyKey(db: Db, claim: IdempotencyClaim) {
  return db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.scope, claim.scope),
        eq(idempotencyKeys.key, claim.key),
        eq(idempotencyKeys.status, "pending"),
      ),
    );
}

/** Housekeeping: drops records older than the 24 h window. Returns how many were removed. */
export async function pruneIdempotencyKeys(db: Db, now = Date.now()) {
  const res = await db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now));
  return res.meta.changes ?? 0;
}
