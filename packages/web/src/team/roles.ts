import type { Me } from "../lib/api.ts";

export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** Admins and owners manage members, keys and limits (the API checks again). */
export const isAdmin = (me: Me | undefined) => me?.role === "owner" || me?.role === "admin";

/** The roles `me` may grant: none above their own (and not `exclude`: a service account is never
 * an owner). */
export const grantable = (me: Me | undefined, exclude?: Role) =>
  ROLES.filter((r) => me && r !== exclude && RANK[r] <= RANK[me.role as Role]);

/** Whether `me` may change or remove a member holding `role`: only owners touch owners. */
export const mayManage = (me: Me | undefined, role: Role) =>
  isAdmin(me) && (role !== "owner" || me?.role === "owner");
