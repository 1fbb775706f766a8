import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./types.ts";

/** Gives every request an id (echoed as `x-request-id`, and the `trace_id` of errors). */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  await next();
  c.res.headers.set("x-request-id", id);
});
