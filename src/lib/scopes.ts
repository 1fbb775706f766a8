import { KeyScope, type Role } from "@ambit/protocol";
import { roleAtLeast } from "./roles.ts";

/** The lowest role each scope needs: a key never holds a scope its principal's role lacks. */
const SCOPE_ROLE: Record<KeyScope, Role> = {
  "runs:read": "viewer",
  "config:read": "viewer",
  "runs:write": "member",
  "config:write": "member",
  "hosts:connect": "admin", // a host receives the team's runs and their secrets
  admin: "admin",
};

/** Every scope `role` allows, in the catalog's order. */
export const scopesOfRole = (role: Role): KeyScope[] =>
  KeyScope.options.filter((s) => roleAtLeast(role, SCOPE_ROLE[s]));

/**
 * What a key may be used for now: the scopes it was minted with (null: all), within what its
 * (capped) role allows today. A principal demoted after the mint loses the scopes above it.
 */
export const effectiveScopes = (minted: readonly KeyScope[] | null, role: Role): KeyScope[] => {
  const allowed = scopesOfRole(role);
  return minted ? allowed.filter((s) => minted.includes(s)) : allowed;
};

/** Whether a key of `scopes` is limited below its role (null on the context: unlimited). */
export const isRestricted = (minted: readonly KeyScope[] | null, role: Role) =>
  minted !== null && scopesOfRole(role).some((s) => !minted.includes(s));

/**
 * What a key minted for a narrower job is limited to: absent on a key of its role's full power,
 * on a web session, and on the platform's own work (services/context.ts `Actor`).
 */
export type KeyLimits = {
  /** its scopes now: those minted, within its role's */
  scopes?: KeyScope[];
  /** the host pools a `hosts:connect` key may join */
  pools?: string[];
};
