import { createMiddleware } from "hono/factory";
import { getConfig } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { verifyHostToken } from "../lib/host-token.ts";
import { API_KEY_PREFIX } from "../services/api-keys.ts";
import type { AppEnv } from "./types.ts";

/**
 * On the host websocket route only: a bearer that is not an API key must be a platform host
 * credential (what a runner container the platform started presents). A valid one goes on the
 * context and `requireAuth` lets it through; anything else that is not an API key is refused here.
 */
export const hostTokenAuth = createMiddleware<AppEnv>(async (c, next) => {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (bearer && !bearer.startsWith(API_KEY_PREFIX)) {
    const claims = await verifyHostToken(getConfig(c.env).JWT_SECRET, bearer);
    if (!claims) {
      throw new AppError(
        "authentication_required",
        "This host credential is not valid (forged, expired, or not a host credential). Connect with a host key (`ambit api-key create --scope hosts:connect --pool <pool>`) or an admin API key: 'Authorization: Bearer <API key>'.",
      );
    }
    c.set("hostToken", claims);
  }
  await next();
});
