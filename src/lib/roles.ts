import type { Role } from "@ambit/protocol";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` is `min` or above (viewer < member < admin < owner). */
export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];
/** The lower of two roles. */
export const lowerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);

/** Why a key no longer acts, or null: the one rule, read at every request and every steering frame. */
export type KeyDenial = "revoked" | "expired" | "not_member";

/**
 * What an API key may do now: its role capped by its user's current team role, or why it acts no
 * more. `memberRole` is null for a user no longer in the team; for a service account it is the
 * account's role (null for a named agent's key).
 */
export function keyStanding(
  key: {
    role: Role;
    revokedAt: number | null;
    expiresAt: number | null;
    principalType: "user" | "service_account";
  },
  memberRole: Role | null,
  now: number,
): { role: Role } | { denied: KeyDenial } {
  if (key.revokedAt !== null) return { denied: "revoked" };
  if (key.expiresAt !== null && key.expiresAt <= now) return { denied: "expired" };
  // a service account's keys are capped by its role; a named agent's (no role of its own) are not
  if (key.principalType !== "user")
    return { role: memberRole ? lowerRole(key.role, memberRole) : key.role };
  return memberRole ? { role: lowerRole(key.role, memberRole) } : { denied: "not_member" };
}
