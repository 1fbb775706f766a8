import { createRoute } from "@hono/zod-openapi";
import { TeamBudget, UpdateTeamBudgetRequest } from "@ambit/protocol";
import { getTeamBudget, updateTeamBudget } from "../services/budgets/team-budget.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

/** The team's budgets on model spend (docs/gateway.md "Budgets"). */
export const budgetRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/team/budget",
      tags: ["Team"],
      security: bearer,
      summary: "The team's budgets, this month's spend and when they reset",
      responses: {
        200: { description: "OK", content: { "application/json": { schema: TeamBudget } } },
        ...problems(401),
      },
    }),
    async (c) => c.json(await getTeamBudget({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/team/budget",
      tags: ["Team"],
      security: bearer,
      summary: "Set or remove the team's monthly, per-member and per-run budgets (admin)",
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: UpdateTeamBudgetRequest } },
        },
      },
      responses: {
        200: { description: "Updated", content: { "application/json": { schema: TeamBudget } } },
        ...problems(400, 401, 403),
      },
    }),
    async (c) =>
      c.json(await updateTeamBudget({ ctx: serviceCtx(c), input: c.req.valid("json") }), 200),
  );
