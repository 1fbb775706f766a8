import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client.ts";
import { API_KEY_PREFIX } from "../services/api-keys.ts";
import { authenticateApiKey } from "../services/authenticate.ts";
import { requireScope } from "../lib/require-scope.ts";
import { routeNeed } from "../lib/route-scopes.ts";
import type { AppEnv } from "./types.ts";

export const API_BASE = "/api/v1";

/**
 * After `requireAuth`: the key's scopes must cover the route (src/lib/route-scopes.ts, the one
 * table). Routes that authenticate themselves (attach, artifact uploads) call `requireScope`.
 */
export const scopeCheck = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get("auth");
  if (auth) {
    const path = c.req.path.startsWith(API_BASE) ? c.req.path.slice(API_BASE.length) : c.req.path;
    requireScope(auth.actor, routeNeed(c.req.method, path), `${c.req.method} ${path}`);
  }
  await next();
});

/**
 * On a route that authenticates itself (artifact uploads: a run's HOST token or an API key): an
 * API key's scope is checked before the body is read, so a key for another job learns 403 first.
 */
export const apiKeyScopeFirst = createMiddleware<AppEnv>(async (c, next) => {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (bearer?.startsWith(API_KEY_PREFIX)) {
    const { actor } = await authenticateApiKey(createDb(c.env.DB), c.req.header("authorization"));
    const path = c.req.path.slice(API_BASE.length);
    requireScope(actor, routeNeed(c.req.method, path), `${c.req.method} ${path}`);
  }
  await next();
});
