import { createRoute, z } from "@hono/zod-openapi";
import { CheckpointItem } from "@ambit/protocol";
import { noteAudit } from "../middleware/audit.ts";
import { apiKeyScopeFirst } from "../middleware/scope.ts";
import {
  authorizeCheckpointWrite,
  readCheckpoint,
  storeCheckpoint,
} from "../services/runs/checkpoints.ts";
import { authorizeAttach } from "../services/runs/session-access.ts";
import { bearer, bearerOnly, newRouter, problems } from "./ctx.ts";

// A run's checkpoints authenticate themselves like its attach routes (a key, the console's
// session, or a token: the HOST token of the run's holder as a bearer or `?token=`), so they are
// mounted before the API-key middleware. Writing needs the HOST token of the run's current execution.

const Params = z.object({
  runId: z.string().min(1).max(64),
  checkpointId: z
    .string()
    .regex(/^([0-9a-f]{64}|latest)$/)
    .describe("the checkpoint's SHA-256, or `latest` (reads only)"),
});
const TokenQuery = z.object({ token: z.string().max(4000).optional() });

export const checkpointRoutes = newRouter()
  .openapi(
    createRoute({
      method: "put",
      path: "/agent/runs/{runId}/checkpoints/{checkpointId}",
      tags: ["Live runs"],
      security: [...bearerOnly, { attachToken: [] }],
      middleware: [apiKeyScopeFirst],
      summary: "Store a checkpoint of a run (its host, with the run's HOST token)",
      description:
        "The body is a checkpoint archive (packages/protocol/src/checkpoints.ts), at most 50 MiB; its id is the SHA-256 of its bytes. The run gets a `checkpoint` event and its next execution starts from the last one.",
      request: {
        params: Params,
        query: TokenQuery,
        body: {
          required: true,
          content: { "application/octet-stream": { schema: z.string().describe("the archive") } },
        },
      },
      responses: {
        201: {
          description: "The stored checkpoint",
          content: { "application/json": { schema: CheckpointItem } },
        },
        ...problems(400, 401, 403, 404, 409, 413),
      },
    }),
    async (c) => {
      const { runId, checkpointId } = c.req.valid("param");
      const writer = await authorizeCheckpointWrite({
        env: c.env,
        runId,
        authorization: c.req.header("authorization"),
        token: c.req.valid("query").token,
      });
      noteAudit(c, {
        teamId: writer.teamId,
        actor: { type: "host", id: `run:${runId}`, name: "the run's host (its HOST token)" },
      });
      const body = await c.req.arrayBuffer();
      return c.json(await storeCheckpoint({ env: c.env, writer, checkpointId, body }), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/runs/{runId}/checkpoints/{checkpointId}",
      tags: ["Live runs"],
      security: [...bearer, { attachToken: [] }],
      middleware: [apiKeyScopeFirst],
      summary: "A checkpoint of a run: its repositories' git bundles and its conversation",
      description:
        "Whoever may read the run may read its checkpoints; `latest` is the one its next execution starts from. `ambit run checkout <id>` applies it to a local repository.",
      request: { params: Params, query: TokenQuery },
      responses: {
        200: {
          description: "The archive (packages/protocol/src/checkpoints.ts)",
          content: { "application/octet-stream": { schema: z.string() } },
        },
        ...problems(400, 401, 404),
      },
    }),
    async (c) => {
      const { runId, checkpointId } = c.req.valid("param");
      // the run's holder sends its HOST token as a bearer: it is an attach token, not a key
      const auth = c.req.header("authorization");
      const hostBearer = /^Bearer\s+(?!ambit_)(\S+)\s*$/i.exec(auth ?? "")?.[1];
      const token = c.req.valid("query").token ?? hostBearer;
      const grant = await authorizeAttach({
        env: c.env,
        runId,
        session: token ? undefined : c.get("auth"),
        authorization: token ? undefined : auth,
        token,
        after: 0,
        baseUrl: new URL(c.req.url).origin,
        requestId: c.get("requestId"),
      });
      const file = await readCheckpoint({ env: c.env, grant, checkpointId });
      return new Response(file.body, {
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(file.size),
          "x-ambit-checkpoint-id": file.checkpointId,
          "cache-control": "private, no-store",
        },
      }) as never;
    },
  );
