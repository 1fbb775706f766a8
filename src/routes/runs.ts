import { createRoute, z } from "@hono/zod-openapi";
import {
  ConversationResponse,
  ListRunsQuery,
  ListRunsResponse,
  ListTasksResponse,
  RunAgentRequest,
  RunAgentResponse,
  RunItem,
  RunFollowupRequest,
  RunSourceHeaders,
  type RunSourceType,
  SessionTokenResponse,
  TaskItem,
  TimelineResponse,
} from "@ambit/protocol";
import type { Context } from "hono";
import type { AppEnv } from "../middleware/types.ts";
import { sessionUidOf } from "../lib/web-session.ts";
import { answerHoldsSecret } from "../middleware/idempotency.ts";
import { cancelRun } from "../services/runs/cancel-run.ts";
import { followupRun } from "../services/runs/followup-run.ts";
import { runTranscript } from "../services/runs/run-events.ts";
import {
  getConversation,
  getRunConversation,
  getRunTimeline,
} from "../services/runs/run-record.ts";
import { mintSessionToken } from "../services/runs/session-access.ts";
import { createRun } from "../services/runs/create-run.ts";
import { getRun } from "../services/runs/get-run.ts";
import { listRuns } from "../services/runs/list-runs.ts";
import { toTaskItem } from "../services/runs/run-item.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

/**
 * The run's source when the client declares none (`X-Oz-Api-Source`, validated by the route):
 * `WEB_APP` for a request the console's session cookie authenticated (middleware/session.ts),
 * else `API`.
 */
const undeclaredSource = (c: Context<AppEnv>): RunSourceType =>
  sessionUidOf(c.get("auth")?.actor.keyId) === undefined ? "API" : "WEB_APP";

/** `metadata[key]=value` query pairs. */
function metadataFilter(c: Context<AppEnv>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, values] of Object.entries(c.req.queries())) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m) out[m[1]] = values[0];
  }
  return out;
}

const RunParams = z.object({ runId: z.string().min(1).max(64) });
const TaskParams = z.object({ taskId: z.string().min(1).max(64) });
const createRequest = {
  body: { required: true, content: { "application/json": { schema: RunAgentRequest } } },
  // a value the client may not declare is a 400 naming the header, never silently API
  headers: RunSourceHeaders,
};
const createResponses = {
  200: {
    description: "The run was created (state QUEUED)",
    content: { "application/json": { schema: RunAgentResponse } },
  },
  ...problems(400, 401, 403, 409, 413, 422, 429),
};
const listResponses = (schema: typeof ListRunsResponse | typeof ListTasksResponse) => ({
  200: { description: "One page", content: { "application/json": { schema } } },
  ...problems(400, 401),
});
const cancelResponses = {
  200: { description: "The run id", content: { "application/json": { schema: z.string() } } },
  ...problems(400, 401, 403, 404),
};

export const runsRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs",
      tags: ["Runs"],
      security: bearer,
      summary: "Create a run",
      request: createRequest,
      responses: createResponses,
    }),
    async (c) =>
      c.json(
        await createRun({
          ctx: serviceCtx(c),
          input: {
            request: c.req.valid("json"),
            source: c.req.valid("header")["x-oz-api-source"] ?? undeclaredSource(c),
          },
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/run",
      tags: ["Runs"],
      security: bearer,
      deprecated: true,
      summary: "Create a run (legacy path of POST /agent/runs)",
      request: createRequest,
      responses: createResponses,
    }),
    async (c) =>
      c.json(
        await createRun({
          ctx: serviceCtx(c),
          input: {
            request: c.req.valid("json"),
            source: c.req.valid("header")["x-oz-api-source"] ?? undeclaredSource(c),
          },
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs",
      tags: ["Runs"],
      security: bearer,
      summary: "List runs",
      description:
        "Cursor-paginated; also accepts `metadata[key]=value` filters (up to 5, combined with AND).",
      request: { query: ListRunsQuery },
      responses: listResponses(ListRunsResponse),
    }),
    async (c) =>
      c.json(
        await listRuns({
          ctx: serviceCtx(c),
          input: { ...c.req.valid("query"), metadata: metadataFilter(c) },
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}",
      tags: ["Runs"],
      security: bearer,
      summary: "Get a run",
      request: { params: RunParams },
      responses: {
        200: { description: "OK", content: { "application/json": { schema: RunItem } } },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(await getRun({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/cancel",
      tags: ["Runs"],
      security: bearer,
      summary: "Cancel a run",
      request: { params: RunParams },
      responses: cancelResponses,
    }),
    async (c) =>
      c.json(await cancelRun({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }), 200),
  )
  // Legacy task paths (Warp Agent API v0): the same runs in the TaskItem shape.
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/tasks",
      tags: ["Tasks (legacy)"],
      security: bearer,
      deprecated: true,
      summary: "List tasks",
      request: { query: ListRunsQuery },
      responses: listResponses(ListTasksResponse),
    }),
    async (c) => {
      const page = await listRuns({
        ctx: serviceCtx(c),
        input: { ...c.req.valid("query"), metadata: metadataFilter(c) },
      });
      return c.json({ tasks: page.runs.map(toTaskItem), page_info: page.page_info }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/tasks/{taskId}",
      tags: ["Tasks (legacy)"],
      security: bearer,
      deprecated: true,
      summary: "Get a task",
      request: { params: TaskParams },
      responses: {
        200: { description: "OK", content: { "application/json": { schema: TaskItem } } },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(
        toTaskItem(await getRun({ ctx: serviceCtx(c), runId: c.req.valid("param").taskId })),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/tasks/{taskId}/cancel",
      tags: ["Tasks (legacy)"],
      security: bearer,
      deprecated: true,
      summary: "Cancel a task",
      request: { params: TaskParams },
      responses: cancelResponses,
    }),
    async (c) =>
      c.json(await cancelRun({ ctx: serviceCtx(c), runId: c.req.valid("param").taskId }), 200),
  )
  // Live runs: steering and the views of the record.
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/session-token",
      tags: ["Live runs"],
      security: bearer,
      summary: "Mint a short-lived attach token (for browsers: ?token= on /session and /events)",
      request: { params: RunParams },
      middleware: [answerHoldsSecret({ retry: "reexecute" })], // a retry mints another short-lived token for the same caller
      responses: {
        200: {
          description: "Token",
          content: { "application/json": { schema: SessionTokenResponse } },
        },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(
        await mintSessionToken({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/followups",
      tags: ["Live runs"],
      security: bearer,
      summary:
        "Send a follow-up (EDITOR): to the live agent, waking a BLOCKED run, or as a new execution of an ended one",
      request: {
        params: RunParams,
        body: { required: true, content: { "application/json": { schema: RunFollowupRequest } } },
      },
      responses: {
        200: { description: "Accepted", content: { "application/json": { schema: z.object({}) } } },
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      await followupRun({
        ctx: serviceCtx(c),
        runId: c.req.valid("param").runId,
        input: c.req.valid("json"),
      });
      return c.json({}, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}/conversation",
      tags: ["Live runs"],
      security: bearer,
      summary: "The run's normalized conversation (Oz ConversationResponse)",
      request: { params: RunParams },
      responses: {
        200: {
          description: "OK",
          content: { "application/json": { schema: ConversationResponse } },
        },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(
        await getRunConversation({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/conversations/{conversationId}",
      tags: ["Live runs"],
      security: bearer,
      summary: "A conversation by id",
      request: { params: z.object({ conversationId: z.string().min(1).max(64) }) },
      responses: {
        200: {
          description: "OK",
          content: { "application/json": { schema: ConversationResponse } },
        },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(
        await getConversation({
          ctx: serviceCtx(c),
          conversationId: c.req.valid("param").conversationId,
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}/timeline",
      tags: ["Live runs"],
      security: bearer,
      summary: "Lifecycle milestones with timings (Oz GetRunTimelineResponse)",
      request: { params: RunParams },
      responses: {
        200: { description: "OK", content: { "application/json": { schema: TimelineResponse } } },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.json(await getRunTimeline({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}/transcript",
      tags: ["Live runs"],
      security: bearer,
      summary: "The whole event log as NDJSON (from the R2 archive once the run ended)",
      request: { params: RunParams },
      responses: {
        200: {
          description: "NDJSON, one event per line",
          content: { "application/x-ndjson": { schema: z.string() } },
        },
        ...problems(401, 404),
      },
    }),
    async (c) =>
      c.body(await runTranscript({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }), 200, {
        "content-type": "application/x-ndjson",
      }) as never,
  );
