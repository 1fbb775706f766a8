import { AppError } from "./errors.ts";
import type { RouteNeed } from "./route-scopes.ts";
import type { KeyLimits } from "./scopes.ts";

/**
 * Throws `insufficient_scope` unless a key of `limits` may call a route that needs `need`. A key
 * without limits (its role's full power, a web session) passes: its role is checked by the service.
 */
export function requireScope(limits: KeyLimits, need: RouteNeed | undefined, what: string): void {
  const { scopes } = limits;
  if (need === "public" || !scopes) return;
  if (need === "any" ? scopes.some((s) => s !== "hosts:connect") : need && scopes.includes(need))
    return;
  const named = need === "any" ? "any scope but hosts:connect" : (need ?? "a scope no rule names");
  throw new AppError(
    "insufficient_scope",
    `${what} needs an API key with the '${named}' scope; this key has ${scopes.length ? scopes.join(", ") : "none its role still allows"}. Mint a key with that scope (\`ambit api-key create --scope ...\`), or ask a team admin for one.`,
    { required_scope: need ?? null, key_scopes: scopes },
  );
}
