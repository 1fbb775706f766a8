import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createDb } from "../db/client.ts";
import { validationError } from "../lib/problem.ts";
import type { AppEnv } from "../middleware/types.ts";
import type { Ctx } from "../services/context.ts";

/** The service context of an authenticated request. */
export function serviceCtx(c: Context<AppEnv>): Ctx {
  const auth = c.get("auth");
  if (!auth) throw new Error("serviceCtx used on a route without requireAuth");
  return {
    teamId: auth.teamId,
    actor: auth.actor,
    configVersion: auth.configVersion,
    db: createDb(c.env.DB),
    env: c.env,
    requestId: c.get("requestId"),
    baseUrl: new URL(c.req.url).origin,
    idempotency: c.get("idempotency"),
    audit: c.get("audit"),
  };
}

/** A router whose zod failures become `invalid_request` problems naming each field. */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
}

/** An API key, or the console's session cookie (middleware/session.ts): routes behind `requireAuth`. */
export const bearer: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];
/** An API key only (routes that authenticate themselves and take no session). */
export const bearerOnly: Record<string, string[]>[] = [{ bearerAuth: [] }];

/** A JSON body or answer of this schema, as a route declares it. */
export const json = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { "application/json": { schema } },
});

/** Problem responses a route documents, by status. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: "RFC 7807 problem",
        content: {
          "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
        },
      },
    ]),
  );
}
