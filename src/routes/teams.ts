import { createRoute } from "@hono/zod-openapi";
import { CreateTeamRequest, CreateTeamResponse } from "@ambit/protocol";
import { createDb } from "../db/client.ts";
import { getConfig } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { noteAudit } from "../middleware/audit.ts";
import { answerHoldsSecret } from "../middleware/idempotency.ts";
import { createTeam } from "../services/teams.ts";
import { newRouter, problems } from "./ctx.ts";

/** Signup: the one write that needs no API key (when SIGNUP is `open`). */
export const teamsRoutes = newRouter().openapi(
  createRoute({
    method: "post",
    path: "/teams",
    tags: ["Team"],
    summary: "Create a team (signup)",
    description:
      "Creates a team, its owner and an owner API key, shown only in this response. Needs `SIGNUP=open`. " +
      "Limited per client address (`SIGNUPS_PER_IP_PER_HOUR`): past it 429 with `Retry-After`; every answer carries `RateLimit` and `RateLimit-Policy`.",
    request: {
      body: { required: true, content: { "application/json": { schema: CreateTeamRequest } } },
    },
    // a retry gets no key: anyone who knows the Idempotency-Key and the body could send it
    middleware: [
      answerHoldsSecret({
        retry: "withhold",
        what: "the new team's owner API key",
        hint: "If you lost it, sign up again with a new Idempotency-Key (it creates another team).",
      }),
    ],
    responses: {
      201: {
        description: "Created",
        content: { "application/json": { schema: CreateTeamResponse } },
      },
      ...problems(400, 403, 413, 422, 429),
    },
  }),
  async (c) => {
    if (getConfig(c.env).SIGNUP !== "open") {
      throw new AppError(
        "feature_not_available",
        "signup is closed on this server; ask an admin of an existing team to add you",
      );
    }
    const created = await createTeam({ db: createDb(c.env.DB), input: c.req.valid("json") });
    const owner = { type: "member" as const, id: created.user.uid, memberId: created.user.uid };
    noteAudit(c, {
      teamId: created.team.uid,
      actor: { ...owner, name: created.user.email },
      target: { type: "team", id: created.team.uid },
    });
    return c.json(created, 201);
  },
);
