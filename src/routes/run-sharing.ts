import { createRoute, z } from "@hono/zod-openapi";
import { RunSharing, UpdateRunSharingRequest } from "@ambit/protocol";
import { updateRunSharing } from "../services/runs/update-sharing.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const RunParams = z.object({ runId: z.string().min(1).max(64) });

export const runSharingRoutes = newRouter().openapi(
  createRoute({
    method: "patch",
    path: "/agent/runs/{runId}/sharing",
    tags: ["Runs"],
    security: bearer,
    summary: "Change who besides its creator sees and steers a run (the creator or an admin)",
    description:
      "`team`: NONE (personal runs only), VIEWER (teammates watch) or EDITOR (teammates with the member role or higher steer). " +
      "`public`: VIEWER makes a read-only link that needs no API key; NONE revokes it for good. Omitted parts stay as they are.",
    request: {
      params: RunParams,
      body: {
        required: true,
        content: { "application/json": { schema: UpdateRunSharingRequest } },
      },
    },
    responses: {
      200: {
        description: "The run's sharing now",
        content: { "application/json": { schema: RunSharing } },
      },
      ...problems(400, 401, 403, 404),
    },
  }),
  async (c) =>
    c.json(
      await updateRunSharing({
        ctx: serviceCtx(c),
        runId: c.req.valid("param").runId,
        input: c.req.valid("json"),
      }),
      200,
    ),
);
