import type { Role } from "@ambit/protocol";
import type { Db } from "../db/client.ts";
import { AppError } from "../lib/errors.ts";
import { roleAtLeast } from "../lib/roles.ts";

/** Who is acting: a user or service account through an API key, or the platform itself. */
export type Actor =
  | { type: "user"; id: string; role: Role; keyId: string }
  | { type: "service_account"; id: string; role: Role; keyId: string }
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
};

export { lowerRole, roleAtLeast } from "../lib/roles.ts";

/** Throws `not_authorized` unless the caller's role is at least `min`. */
export function requireRole(ctx: Ctx, min: Role, action: string): void {
  if (!roleAtLeast(ctx.actor.role, min)) {
    throw new AppError(
      "not_authorized",
      `${action} needs the '${min}' role or higher; this API key acts as '${ctx.actor.role}'. Ask a team admin for a key with more access.`,
    );
  }
}
