import { createRoute, z } from "@hono/zod-openapi";
import { PlatformTeamLimits, UpdatePlatformTeamLimits } from "@ambit/protocol";
import type { Context } from "hono";
import { createDb } from "../db/client.ts";
import { platformAdminAuth } from "../middleware/platform-admin.ts";
import type { AppEnv } from "../middleware/types.ts";
import type { Ctx } from "../services/context.ts";
import { getPlatformTeamLimits, updatePlatformTeamLimits } from "../services/team-rate-limits.ts";
import { json, newRouter, problems } from "./ctx.ts";

const Params = z.object({ uid: z.string().min(1).max(64) });
const tags = ["Platform"];
const security = [{ platformAdmin: [] }];
const PLATFORM_ADMIN = { type: "platform" as const, id: "platform-admin", name: "platform admin" };

/** The platform admin acting in one team: the platform's own actor, recorded as such. */
function platformCtx(c: Context<AppEnv>, teamId: string): Ctx {
  const audit = c.get("audit");
  if (audit) Object.assign(audit, { teamId, actor: PLATFORM_ADMIN });
  return {
    teamId,
    actor: { type: "system", id: "system", role: "owner" },
    db: createDb(c.env.DB),
    env: c.env,
    requestId: c.get("requestId"),
    baseUrl: new URL(c.req.url).origin,
    audit,
  };
}

/** The platform admin's routes (middleware/platform-admin.ts): one team's limits. */
export const platformRoutes = newRouter();
platformRoutes.use("/platform/*", platformAdminAuth);
platformRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/platform/teams/{uid}/limits",
      tags,
      security,
      summary: "A team's rate limits and ceilings (platform admin)",
      request: { params: Params },
      responses: { 200: { description: "OK", ...json(PlatformTeamLimits) }, ...problems(401, 404) },
    }),
    async (c) =>
      c.json(await getPlatformTeamLimits({ ctx: platformCtx(c, c.req.valid("param").uid) }), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/platform/teams/{uid}/limits",
      tags,
      security,
      summary: "Raise (or lower) one team's rate-limit ceilings (platform admin)",
      description:
        "In place of the operator's `…_PER_MINUTE` vars for this team only; null returns one to the var. The team's admins may then set up to them; what they set stays, capped.",
      request: { params: Params, body: { required: true, ...json(UpdatePlatformTeamLimits) } },
      responses: {
        200: { description: "Updated", ...json(PlatformTeamLimits) },
        ...problems(400, 401, 404),
      },
    }),
    async (c) =>
      c.json(
        await updatePlatformTeamLimits({
          ctx: platformCtx(c, c.req.valid("param").uid),
          input: c.req.valid("json"),
        }),
        200,
      ),
  );
