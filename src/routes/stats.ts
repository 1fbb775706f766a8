import { createRoute } from "@hono/zod-openapi";
import { RunStats, RunStatsQuery } from "@ambit/protocol";
import { getRunStats } from "../services/stats/run-stats.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

export const statsRoutes = newRouter().openapi(
  createRoute({
    method: "get",
    path: "/stats/runs",
    tags: ["Stats"],
    security: bearer,
    summary: "Run statistics: counts by state, success rate, run and queue times, failure reasons",
    description:
      "Counts the runs the caller can see that were created in [from, to) (default: the last 30 " +
      "days; at most 92 days). `group_by` splits the series by day (in `tz`), source, model, " +
      "environment, creator or state.",
    request: { query: RunStatsQuery },
    responses: {
      200: { description: "OK", content: { "application/json": { schema: RunStats } } },
      ...problems(400, 401),
    },
  }),
  async (c) => c.json(await getRunStats({ ctx: serviceCtx(c), input: c.req.valid("query") }), 200),
);
