import { createMiddleware } from "hono/factory";
import { getConfig } from "../env.ts";
import { AppError } from "../lib/errors.ts";

const digest = async (s: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));

/**
 * The platform admin: whoever holds the operator's `PLATFORM_ADMIN_TOKEN` secret (compared in
 * constant time). No secret set, no platform admin: its routes answer 404. It is nobody's API
 * key, so it reaches only the routes it guards (routes/platform.ts), never a team's data.
 */
export const platformAdminAuth = createMiddleware(async (c, next) => {
  const token = getConfig(c.env as Env).PLATFORM_ADMIN_TOKEN;
  if (!token)
    throw new AppError(
      "resource_not_found",
      "this platform has no platform admin: its operator sets one with `wrangler secret put PLATFORM_ADMIN_TOKEN` (docs/security.md)",
    );
  const sent = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
  if (!crypto.subtle.timingSafeEqual(await digest(sent), await digest(token)))
    throw new AppError(
      "authentication_required",
      "send 'Authorization: Bearer <PLATFORM_ADMIN_TOKEN>': the platform admin's token, which only the platform's operator holds (an API key is not enough)",
    );
  await next();
});
