import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client.ts";
import { getConfig } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { authenticateSession } from "../services/web-sessions.ts";
import type { AppEnv } from "./types.ts";

// The web console's session cookie (services/web-sessions.ts): how it is set and cleared, how a
// request is authenticated by it, and the cross-site request forgery rule it comes with.

export const SESSION_COOKIE = "ambit_session";

const attributes = (c: Context<AppEnv>) => {
  const secure = new URL(c.req.url).protocol === "https:";
  return { path: "/", httpOnly: true, sameSite: "Lax", secure } as const;
};

/** `Set-Cookie` of a new session, living until the session's absolute end. */
export function sessionCookie(c: Context<AppEnv>, token: string, expiresAt: number): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
  return generateCookie(SESSION_COOKIE, token, { ...attributes(c), maxAge });
}

/** `Set-Cookie` that removes the session cookie. */
export const clearedSessionCookie = (c: Context<AppEnv>) =>
  generateCookie(SESSION_COOKIE, "", { ...attributes(c), maxAge: 0 });

/** The session token the request carries, if any (never logged, never echoed). */
export const sessionToken = (c: Context<AppEnv>): string | undefined =>
  getCookie(c, SESSION_COOKIE) || undefined;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Throws `csrf_rejected` unless the request's `Origin` is its own origin or one the operator lists
 * (`CONSOLE_ORIGINS`). `required`: a request without `Origin` is refused too (a browser sends it
 * on every cross-site write and websocket; only a non-browser client omits it, and those send a
 * key).
 */
export function assertSameOrigin(c: Context<AppEnv>, required: boolean) {
  const origin = c.req.header("origin");
  if (origin === undefined && !required) return;
  const own = new URL(c.req.url).origin;
  const listed = origin !== undefined && getConfig(c.env).CONSOLE_ORIGINS.includes(origin);
  if (origin === own || listed) return;
  const page = `another origin's page (${origin?.slice(0, 200)})`;
  const from = origin === undefined ? "no Origin header" : `comes from ${page}`;
  throw new AppError(
    "csrf_rejected",
    `this request carries the console's session cookie but ${from}, so it may be a cross-site ` +
      `request forgery and was refused. Use the console at ${own}; an operator serving it from ` +
      "another origin adds that origin to CONSOLE_ORIGINS. Scripts and other clients: send " +
      "'Authorization: Bearer <API key>' instead of the cookie.",
    { headers: { "cache-control": "no-store" } },
  );
}

/**
 * Authenticates a request that sends no `Authorization` header (nor `?token=`) by its session
 * cookie, if any: writes (any method but GET/HEAD/OPTIONS) and websocket upgrades must then come
 * from the
 * console's own origin. A cookie that no longer names a live session is answered 401 (and
 * cleared) only where a credential is needed: `requireAuth`, or an attach without `?token=`.
 */
export const sessionAuth = createMiddleware<AppEnv>(async (c, next) => {
  // a request that brings its own credential (a key, an attach or download token) is not the
  // cookie's
  const ownCredential = c.req.header("authorization") || c.req.query("token") !== undefined;
  const token = ownCredential ? undefined : sessionToken(c);
  if (!token) return next();
  try {
    const db = createDb(c.env.DB);
    const { teamId, actor, configVersion, touch } = await authenticateSession(db, token);
    const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
    if (!SAFE_METHODS.has(c.req.method) || upgrade) assertSameOrigin(c, true);
    c.set("auth", { teamId, actor, configVersion });
    const failed = (error: unknown) => log.error("web session last_seen update failed", { error });
    if (touch) c.executionCtx.waitUntil(touch().catch(failed));
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== "authentication_required") throw err;
    const clear = { headers: { "set-cookie": clearedSessionCookie(c) } };
    c.set("sessionEnded", new AppError(err.code, err.message, clear));
  }
  await next();
});
