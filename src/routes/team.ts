import { createRoute, z } from "@hono/zod-openapi";
import {
  AddMemberRequest,
  ListMembersResponse,
  Member,
  Team,
  UpdateMemberRequest,
  UpdateTeamRequest,
} from "@ambit/protocol";
import { addMember, listMembers, removeMember, updateMember } from "../services/members.ts";
import { getTeam, updateTeam } from "../services/teams.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const MemberParams = z.object({ uid: z.string().min(1).max(64) });

export const teamRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/team",
      tags: ["Team"],
      security: bearer,
      summary: "The caller's team",
      responses: {
        200: { description: "OK", content: { "application/json": { schema: Team } } },
        ...problems(401),
      },
    }),
    async (c) => c.json(await getTeam({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/team",
      tags: ["Team"],
      security: bearer,
      summary: "Rename the team, change its limits or turn its model gateway on or off (admin)",
      request: {
        body: { required: true, content: { "application/json": { schema: UpdateTeamRequest } } },
      },
      responses: {
        200: { description: "Updated", content: { "application/json": { schema: Team } } },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => c.json(await updateTeam({ ctx: serviceCtx(c), input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/team/members",
      tags: ["Team"],
      security: bearer,
      summary: "List members",
      responses: {
        200: {
          description: "OK",
          content: { "application/json": { schema: ListMembersResponse } },
        },
        ...problems(401),
      },
    }),
    async (c) => c.json({ members: await listMembers({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/team/members",
      tags: ["Team"],
      security: bearer,
      summary: "Add a member (admin)",
      request: {
        body: { required: true, content: { "application/json": { schema: AddMemberRequest } } },
      },
      responses: {
        201: { description: "Added", content: { "application/json": { schema: Member } } },
        ...problems(400, 401, 403, 409, 422),
      },
    }),
    async (c) => c.json(await addMember({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/team/members/{uid}",
      tags: ["Team"],
      security: bearer,
      summary: "Change a member's role (admin)",
      request: {
        params: MemberParams,
        body: { required: true, content: { "application/json": { schema: UpdateMemberRequest } } },
      },
      responses: {
        200: { description: "Updated", content: { "application/json": { schema: Member } } },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await updateMember({
          ctx: serviceCtx(c),
          uid: c.req.valid("param").uid,
          role: c.req.valid("json").role,
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/team/members/{uid}",
      tags: ["Team"],
      security: bearer,
      summary: "Remove a member (admin), or leave the team (yourself)",
      request: { params: MemberParams },
      responses: { 204: { description: "Removed" }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      await removeMember({ ctx: serviceCtx(c), uid: c.req.valid("param").uid });
      return c.body(null, 204);
    },
  );
