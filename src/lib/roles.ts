import type { Role } from "@ambit/protocol";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` is `min` or above (viewer < member < admin < owner). */
export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];
/** The lower of two roles. */
export const lowerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);
