import { createRoute, z } from "@hono/zod-openapi";
import { RunItem } from "@ambit/protocol";
import { AppError } from "../lib/errors.ts";
import { addressKey } from "../lib/rate-limit.ts";
import {
  authorizePublicAttach,
  getPublicRun,
  NO_LINK,
  readPublicEventsPage,
} from "../services/runs/public-run.ts";
import { newRouter, problems } from "./ctx.ts";
import { afterOf, EVENTS_RESPONSE, forward, StreamQuery } from "./run-session.ts";

// A run's public link (sharing.public VIEWER): no API key, read-only, that one run only. Mounted
// before the API-key middleware; the share id in the path is the credential.

const Params = z.object({
  shareId: z.string().min(1).max(100).describe("the share id of the run's public link"),
});
const Query = StreamQuery.omit({ token: true });
const security: { [name: string]: string[] }[] = [];
/** The viewer's address, for the per-address viewer cap (Cloudflare sets it; local dev may not). */
const ipOf = (c: { req: { header: (name: string) => string | undefined } }) =>
  addressKey(c.req.header("cf-connecting-ip"));

export const publicRunRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/public/runs/{shareId}",
      tags: ["Public links"],
      security,
      summary: "The run behind a public link (no API key; without creator email or agent_config)",
      request: { params: Params },
      responses: {
        200: { description: "OK", content: { "application/json": { schema: RunItem } } },
        ...problems(404),
      },
    }),
    async (c) =>
      c.json(
        await getPublicRun({
          env: c.env,
          shareId: c.req.valid("param").shareId,
          baseUrl: new URL(c.req.url).origin,
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/public/runs/{shareId}/events",
      tags: ["Public links"],
      security,
      summary: "The linked run's events: a JSON page, or live Server-Sent Events (read-only)",
      description:
        "With `Accept: text/event-stream`: every event after `after` (or `Last-Event-ID`), then live events. Otherwise a JSON page.",
      request: { params: Params, query: Query },
      responses: {
        200: EVENTS_RESPONSE,
        ...problems(400, 404, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const grant = await authorizePublicAttach({
        env: c.env,
        shareId: c.req.valid("param").shareId,
        after: afterOf(c, query),
        ip: ipOf(c),
      });
      if (c.req.header("accept")?.includes("text/event-stream"))
        return forward(c, grant, false, NO_LINK) as never;
      return c.json(await readPublicEventsPage(c.env, grant, query.limit), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/public/runs/{shareId}/session",
      tags: ["Public links"],
      security,
      summary:
        "Watch the linked run's live session (websocket, read-only: follow-up and cancel frames are refused)",
      request: { params: Params, query: Query },
      responses: { 101: { description: "Switching protocols" }, ...problems(400, 404, 429) },
    }),
    async (c) => {
      const grant = await authorizePublicAttach({
        env: c.env,
        shareId: c.req.valid("param").shareId,
        after: afterOf(c, c.req.valid("query")),
        ip: ipOf(c),
      });
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new AppError(
          "invalid_request",
          "this endpoint needs a websocket upgrade (Upgrade: websocket); use GET .../events for Server-Sent Events",
        );
      }
      return forward(c, grant, true, NO_LINK) as never;
    },
  );
