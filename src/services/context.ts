import type { Role } from "@ambit/protocol";
import type { KeyLimits } from "../lib/scopes.ts";
import type { Db } from "../db/client.ts";
import type { AuditNote } from "../lib/audit-note.ts";
import { AppError } from "../lib/errors.ts";
import { lowerRole, roleAtLeast } from "../lib/roles.ts";

/**
 * Who is acting: a user or service account through an API key, or the platform itself.
 * `personal`: whether this credential reaches the principal's personal resources (see `ownPersonal`).
 */
export type Actor =
  | ({ type: "user"; id: string; role: Role; keyId: string; personal: boolean } & KeyLimits)
  | ({
      type: "service_account";
      id: string;
      role: Role;
      keyId: string;
      personal: boolean;
    } & KeyLimits)
  | { type: "system"; id: "system"; role: "owner" };

/** A reservation of an `Idempotency-Key`, which a service may complete inside its own batch. */
export type IdempotencyClaim = {
  scope: string;
  /** SHA-256 of the client's key: the stored identity of the record */
  key: string;
  /** the client's key itself, kept only in memory: it seals the stored answer */
  secret: string;
  requestHash: string;
  completed: boolean;
};

/** What every service verb receives: the caller's team and identity, and the data handles. */
export type Ctx = {
  teamId: string;
  actor: Actor;
  db: Db;
  env: Env;
  requestId: string;
  /** The platform's public origin, e.g. `http://localhost:8787` (for links in responses). */
  baseUrl: string;
  idempotency?: IdempotencyClaim;
  /** The team's configuration version, read with the caller's API key as the request began (absent for the platform's own work). */
  configVersion?: number;
  /** the request's audit entry, which a write may add changed fields to (lib/audit-note.ts) */
  audit?: AuditNote;
};

export { lowerRole, roleAtLeast };

/** Throws `not_authorized` unless the caller's role is at least `min`. */
export function requireRole(ctx: Ctx, min: Role, action: string): void {
  if (!roleAtLeast(ctx.actor.role, min)) {
    throw new AppError(
      "not_authorized",
      `${action} needs the '${min}' role or higher; this API key acts as '${ctx.actor.role}'. Ask a team admin for a key with more access.`,
    );
  }
}

/**
 * The principal whose personal resources the caller reaches (personal runs and secrets, LOCAL
 * runs, personal schedules, the "leave" path), or undefined. A key someone else minted for its
 * principal (an admin's key for a member) acts as them on the team's resources only: whoever
 * minted it holds it too. The one rule every personal resource goes through.
 */
export const ownPersonal = (ctx: Ctx): string | undefined =>
  ctx.actor.type !== "system" && ctx.actor.personal ? ctx.actor.id : undefined;

/** Whether the caller acts as `principalId` in person (the creator of a run, the owner of a secret or schedule). */
export const actsPersonallyAs = (ctx: Ctx, principalId: string) => ownPersonal(ctx) === principalId;

/** Throws `not_authorized` unless the caller's key reaches its principal's personal resources. */
export function requirePersonal(ctx: Ctx, action: string): string {
  const own = ownPersonal(ctx);
  if (own !== undefined) return own;
  throw new AppError(
    "not_authorized",
    `${action} needs a key you hold yourself: this API key was minted for you by someone else, so it reaches the team's resources but not your personal runs, personal secrets, LOCAL runs or personal schedules. Mint your own key with it (POST /api/v1/api-keys without user_uid) and use that one.`,
  );
}
