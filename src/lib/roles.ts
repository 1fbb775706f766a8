import type { Role } from "@ambit/protocol";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export const roleAtLeast = (role: Role, min: Role) => RANK[role] >= RANK[min];
export const lowerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);
