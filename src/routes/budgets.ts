import { createRoute, z } from "@hono/zod-openapi";
import {
  MemberBudget,
  SetMemberBudgetRequest,
  TeamBudget,
  UpdateTeamBudgetRequest,
} from "@ambit/protocol";
import { clearMemberBudget, setMemberBudget } from "../services/budgets/member-budgets.ts";
import { getTeamBudget, updateTeamBudget } from "../services/budgets/team-budget.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const MemberParams = z.object({
  uid: z
    .string()
    .min(1)
    .max(64)
    .openapi({ description: "the member's (or service account's) uid" }),
});
const memberAnswer = (description: string) => ({
  description,
  content: { "application/json": { schema: MemberBudget } },
});

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
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/team/budget/members/{uid}",
      tags: ["Team"],
      security: bearer,
      summary: "Set one member's own monthly budget, in place of the team's per-member one (admin)",
      request: {
        params: MemberParams,
        body: {
          required: true,
          content: { "application/json": { schema: SetMemberBudgetRequest } },
        },
      },
      responses: { 200: memberAnswer("Set"), ...problems(400, 401, 403, 404) },
    }),
    async (c) =>
      c.json(
        await setMemberBudget({
          ctx: serviceCtx(c),
          uid: c.req.valid("param").uid,
          input: c.req.valid("json"),
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/team/budget/members/{uid}",
      tags: ["Team"],
      security: bearer,
      summary: "Remove one member's own budget: the team's per-member one applies again (admin)",
      request: { params: MemberParams },
      responses: { 200: memberAnswer("Removed"), ...problems(400, 401, 403, 404) },
    }),
    async (c) =>
      c.json(await clearMemberBudget({ ctx: serviceCtx(c), uid: c.req.valid("param").uid }), 200),
  );
