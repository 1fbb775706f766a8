import { createRoute, z } from "@hono/zod-openapi";
import { ListWebSessionsResponse, Me } from "@ambit/protocol";
import { getMe } from "../services/me.ts";
import { deleteWebSession, listWebSessions } from "../services/web-sessions.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const json = <T>(schema: T) => ({ description: "OK", content: { "application/json": { schema } } });

export const meRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags: ["Team"],
      security: bearer,
      summary: "Who the caller is: user, team, role now, and how they signed in",
      responses: { 200: json(Me), ...problems(401) },
    }),
    async (c) => c.json(await getMe({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/sessions",
      tags: ["Console sign-in"],
      security: bearer,
      summary: "The caller's own web sessions",
      responses: { 200: json(ListWebSessionsResponse), ...problems(401) },
    }),
    async (c) => c.json({ sessions: await listWebSessions({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/auth/sessions/{uid}",
      tags: ["Console sign-in"],
      security: bearer,
      summary: "End one of the caller's own web sessions (and its live connections)",
      request: { params: z.object({ uid: z.string().min(1).max(64) }) },
      responses: { 204: { description: "Ended" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteWebSession({ ctx: serviceCtx(c), uid: c.req.valid("param").uid });
      return c.body(null, 204);
    },
  );
