import { z } from "zod";

/**
 * What an API key may be used for, beside its role (docs/security.md). A route needs one scope
 * (src/lib/route-scopes.ts); a key with none of them is refused 403 `insufficient_scope`.
 */
export const KeyScope = z.enum([
  "runs:read",
  "runs:write",
  "config:read",
  "config:write",
  "hosts:connect",
  "admin",
]);
export type KeyScope = z.infer<typeof KeyScope>;
