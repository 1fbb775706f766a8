import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client.ts";
import { getConfig } from "../env.ts";
import { authenticateApiKey } from "../services/authenticate.ts";
import type { AppEnv } from "./types.ts";
import { log } from "../lib/log.ts";

/**
 * Requires a valid bearer API key, or a web session cookie (`sessionAuth`, already checked), and
 * puts the caller's team and actor on the context.
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  getConfig(c.env); // a misconfigured server says so before anything else
  if (c.get("hostToken")) return next(); // a platform host on its websocket route, already verified
  if (c.get("auth")) return next(); // a web session (middleware/session.ts)
  const ended = c.get("sessionEnded");
  if (ended) throw ended;
  const { teamId, actor, configVersion, auditName, touch } = await authenticateApiKey(
    createDb(c.env.DB),
    c.req.header("authorization"),
  );
  c.set("auth", { teamId, actor, configVersion, auditName });
  if (touch)
    c.executionCtx.waitUntil(
      touch().catch((err) => log.error("api key last_used update failed", { error: err })),
    );
  await next();
});
