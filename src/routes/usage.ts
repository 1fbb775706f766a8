import { createRoute } from "@hono/zod-openapi";
import { UsageQuery, UsageReport } from "@ambit/protocol";
import { getUsageReport } from "../services/stats/usage-report.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

export const usageRoutes = newRouter().openapi(
  createRoute({
    method: "get",
    path: "/usage",
    tags: ["Stats"],
    security: bearer,
    summary: "Usage and cost: tokens, cost, model calls, runs and compute time of the team",
    description:
      "Sums the model calls the gateway recorded in [from, to) and the runs created in it " +
      "(default: the last 30 days; at most 366 days), for the whole team. `group_by` splits the " +
      "series by day (in `tz`), member, model, source, environment or schedule (docs/gateway.md).",
    request: { query: UsageQuery },
    responses: {
      200: { description: "OK", content: { "application/json": { schema: UsageReport } } },
      ...problems(400, 401),
    },
  }),
  async (c) =>
    c.json(await getUsageReport({ ctx: serviceCtx(c), input: c.req.valid("query") }), 200),
);
