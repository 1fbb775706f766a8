import { createRoute, z } from "@hono/zod-openapi";
import { RunEvent } from "@ambit/protocol";
import type { Context } from "hono";
import { ATTACH_HEADER, type AttachGrant } from "../../durable-objects/run-session/sockets.ts";
import { createDb } from "../db/client.ts";
import { AppError } from "../lib/errors.ts";
import { takeApiBudget } from "../middleware/api-rate-limit.ts";
import { mutableResponse } from "../lib/mutable-response.ts";
import type { AppEnv } from "../middleware/types.ts";
import { readEventsPage } from "../services/runs/run-events.ts";
import { authorizeAttach } from "../services/runs/session-access.ts";
import { authenticateApiKey } from "../services/authenticate.ts";
import { runSession } from "../../durable-objects/stubs.ts";
import { bearer, newRouter, problems } from "./ctx.ts";

// Attach routes authenticate themselves (API key header, ?token=, or the console's session cookie
// that middleware/session.ts checked), so they are mounted before the API-key middleware.

const Params = z.object({ runId: z.string().min(1).max(64) });
export const StreamQuery = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe("replay events after this seq (default 0: everything)"),
  token: z
    .string()
    .max(4000)
    .optional()
    .describe("attach token from POST .../session-token, for clients that cannot send headers"),
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe("JSON page size"),
});
const security = [...bearer, { attachToken: [] }];

/** Where a stream resumes: `?after=`, else the SSE `Last-Event-ID` header, else the start. */
export function afterOf(c: Context<AppEnv>, query: { after?: number }) {
  const lastEventId = Number(c.req.header("last-event-id"));
  return query.after ?? (Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : 0);
}

async function grantFor(
  c: Context<AppEnv>,
  runId: string,
  query: z.infer<typeof StreamQuery>,
  /** the websocket: its presence names the principal */
  named = false,
) {
  const after = afterOf(c, query);
  // a web session cookie (middleware/session.ts), its origin already checked, or an API key
  const authorization = c.req.header("authorization");
  if (authorization) {
    const { teamId, actor, configVersion } = await authenticateApiKey(
      createDb(c.env.DB),
      authorization,
    );
    c.set("auth", { teamId, actor, configVersion });
  }
  const session = c.get("auth");
  const ended = c.get("sessionEnded");
  if (ended && !session && query.token === undefined) throw ended;
  // an attach with a key or session draws on the attach budget like an attach token's minting
  // (an attach with a token was counted when the token was minted)
  if (session)
    for (const [k, v] of Object.entries(await takeApiBudget(c, "attaches"))) c.header(k, v);
  return authorizeAttach({
    session,
    env: c.env,
    runId,
    authorization: c.req.header("authorization"),
    token: query.token,
    after,
    baseUrl: new URL(c.req.url).origin,
    requestId: c.get("requestId"),
    named,
  });
}

/** Hands an authorized attach (websocket upgrade or SSE) to the run's Durable Object. */
export async function forward(
  c: Context<AppEnv>,
  grant: AttachGrant,
  upgrade: boolean,
  notFound = `run '${grant.runId}' was not found in this team`,
) {
  const headers = new Headers({ [ATTACH_HEADER]: JSON.stringify(grant) });
  if (upgrade) headers.set("upgrade", "websocket");
  const res = await runSession(c.env, grant.runId).fetch(new Request(c.req.url, { headers }));
  if (res.status === 404) throw new AppError("resource_not_found", notFound);
  // the session's own refusals: at its viewer caps (viewers.ts), or a principal whose standing ended as it attached
  if (res.status === 429) {
    const { limit, max, message } = (await res.json()) as {
      limit: string;
      max: number;
      message: string;
    };
    throw new AppError("rate_limited", message, {
      limit,
      max,
      headers: { "retry-after": res.headers.get("retry-after") ?? "30" },
    });
  }
  if (res.status === 403)
    throw new AppError(
      "authentication_required",
      `this credential no longer admits to the run: ${await res.text()}`,
    );
  return mutableResponse(res);
}

/** The 200 answer of a run's events: a JSON page, or a Server-Sent Events stream. */
export const EVENTS_RESPONSE = {
  description: "Events",
  content: {
    "application/json": {
      schema: z.object({
        events: z.array(RunEvent),
        last_seq: z.number().int(),
        has_more: z.boolean(),
      }),
    },
    "text/event-stream": { schema: z.string() },
  },
};

export const runSessionRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}/session",
      tags: ["Live runs"],
      security,
      summary: "Attach to a run's live session (websocket)",
      description:
        "Upgrade to a websocket. The server sends `ready`, then every event after `after`, then live events and `presence`; " +
        "EDITORs may send `followup` and `cancel` frames. Frames are described by `ClientFrame`/`ServerFrame` in @ambit/protocol.",
      request: { params: Params, query: StreamQuery },
      responses: { 101: { description: "Switching protocols" }, ...problems(401, 404, 426, 429) },
    }),
    async (c) => {
      const grant = await grantFor(c, c.req.valid("param").runId, c.req.valid("query"), true);
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new AppError(
          "invalid_request",
          "this endpoint needs a websocket upgrade (Upgrade: websocket); use GET .../events for Server-Sent Events",
        );
      }
      return forward(c, grant, true) as never;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}/events",
      tags: ["Live runs"],
      security,
      summary: "A run's events: a JSON page, or a live Server-Sent Events stream",
      description:
        "With `Accept: text/event-stream`: every event after `after` (or `Last-Event-ID`), then live events; each SSE `id` is the event's seq. Otherwise a JSON page.",
      request: { params: Params, query: StreamQuery },
      responses: {
        200: EVENTS_RESPONSE,
        ...problems(400, 401, 404, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const grant = await grantFor(c, c.req.valid("param").runId, query);
      if (c.req.header("accept")?.includes("text/event-stream"))
        return forward(c, grant, false) as never;
      return c.json(await readEventsPage(c.env, grant, grant.after, query.limit), 200);
    },
  );
