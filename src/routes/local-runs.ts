import { createRoute, z } from "@hono/zod-openapi";
import { LocalRunClaim, LocalRunReport, LocalRunStatus, RunFollowupRequest } from "@ambit/protocol";
import { answerHoldsSecret } from "../middleware/idempotency.ts";
import { claimLocalRun, continueRunLocally, reportLocalRun } from "../services/runs/local-run.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const RunParams = z.object({ runId: z.string().min(1).max(64) });

/** A LOCAL run's lifecycle, driven by the CLI of its creator (`ambit agent run --local`). */
export const localRunRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/local/claim",
      tags: ["Live runs"],
      security: bearer,
      summary:
        "Claim your LOCAL run to run it on this machine: its assignment (config, secrets, HOST session token) and lease",
      description:
        "Only the key that created the run (with execution_location LOCAL), once, while it is QUEUED. The run is CLAIMED; keep its lease with POST …/local/report.",
      request: { params: RunParams },
      middleware: [
        answerHoldsSecret({
          retry: "withhold",
          what: "the run's secrets and HOST token",
          hint: "A LOCAL run is claimed once: cancel this run and create a new one.",
        }),
      ],
      responses: {
        200: { description: "Claimed", content: { "application/json": { schema: LocalRunClaim } } },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(await claimLocalRun({ ctx: serviceCtx(c), runId: c.req.valid("param").runId }), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/local-executions",
      tags: ["Live runs"],
      security: bearer,
      summary:
        "Continue your ended run on this machine: a new LOCAL execution with a follow-up, claimed at once",
      description:
        "Only the run's creator, once it ended (hosted or LOCAL). The run gets a new execution whose first message is `message`, LOCAL from now on, and CLAIMED by this call: the answer is its claim, like POST …/local/claim, and its assignment resumes from the run's last checkpoint. Report with POST …/local/report. `ambit run continue <id> --local`.",
      request: {
        params: RunParams,
        body: { required: true, content: { "application/json": { schema: RunFollowupRequest } } },
      },
      middleware: [
        answerHoldsSecret({
          retry: "withhold",
          what: "the run's secrets and HOST token",
          hint: "Cancel the execution this started, then continue the run again.",
        }),
      ],
      responses: {
        200: { description: "Claimed", content: { "application/json": { schema: LocalRunClaim } } },
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) =>
      c.json(
        await continueRunLocally({
          ctx: serviceCtx(c),
          runId: c.req.valid("param").runId,
          input: c.req.valid("json"),
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/local/report",
      tags: ["Live runs"],
      security: bearer,
      summary:
        "Report on your LOCAL run (started, blocked, unblocked, completed, failed, heartbeat); renews its lease",
      description:
        "The messages a host sends its pool, applied the same way. The answer says whether the run was cancelled (stop the agent and report CANCELLED).",
      request: {
        params: RunParams,
        body: { required: true, content: { "application/json": { schema: LocalRunReport } } },
      },
      responses: {
        200: {
          description: "Where the run stands",
          content: { "application/json": { schema: LocalRunStatus } },
        },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await reportLocalRun({
          ctx: serviceCtx(c),
          runId: c.req.valid("param").runId,
          report: c.req.valid("json"),
        }),
        200,
      ),
  );
