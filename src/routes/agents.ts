import { createRoute } from "@hono/zod-openapi";
import {
  AgentListQuery,
  AgentListResponse,
  AgentResponse,
  CreateAgentRequest,
  ListAgentsQuery,
  ListAgentsResponse,
  RegisterSkillRequest,
  RegisterSkillResponse,
  SkillIdQuery,
  UpdateSkillRequest,
  UpdateAgentRequest,
} from "@ambit/protocol";
import {
  createAgent,
  deleteAgent,
  getAgent,
  listAgents,
  updateAgent,
} from "../services/config/identities.ts";
import { deleteSkill, listSkills, registerSkill, updateSkill } from "../services/config/skills.ts";
import { collectionRoutes } from "./collection.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

/** Named agents (`/agent/identities`, Oz shapes) and skills (`GET /agent`, Oz shape; registered with `POST /agent/skills`). */
const identityRoutes = collectionRoutes({
  path: "/agent/identities",
  tag: "Named agents",
  listKey: "agents",
  list: ListAgentsResponse,
  query: ListAgentsQuery,
  item: AgentResponse,
  create: CreateAgentRequest,
  update: UpdateAgentRequest,
  summaries: {
    list: "List the team's named agents",
    create: "Create a named agent (admin, people only)",
    get: "Get a named agent",
    update: "Update a named agent (omitted/null = unchanged; empty = clear; otherwise replace)",
    remove: "Delete a named agent and revoke its API keys",
  },
  verbs: {
    list: listAgents,
    create: createAgent,
    get: getAgent,
    update: updateAgent,
    remove: deleteAgent,
  },
});

const skillRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/agent",
      tags: ["Skills"],
      security: bearer,
      summary: "List skills (Oz AgentListResponse)",
      request: { query: AgentListQuery },
      responses: { 200: { description: "OK", ...json(AgentListResponse) }, ...problems(400, 401) },
    }),
    async (c) =>
      c.json(
        { agents: await listSkills({ ctx: serviceCtx(c), query: c.req.valid("query") }) },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/skills",
      tags: ["Skills"],
      security: bearer,
      summary: "Register a SKILL.md found in a repository (member; hosts do this after cloning)",
      request: { body: { required: true, ...json(RegisterSkillRequest) } },
      responses: {
        200: { description: "Registered", ...json(RegisterSkillResponse) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) =>
      c.json(await registerSkill({ ctx: serviceCtx(c), input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/agent/skills",
      tags: ["Skills"],
      security: bearer,
      summary: "Change a registered skill's SKILL.md or host pool in place, by id (member)",
      request: { query: SkillIdQuery, body: { required: true, ...json(UpdateSkillRequest) } },
      responses: {
        200: { description: "Updated", ...json(RegisterSkillResponse) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const [id, input] = [c.req.valid("query").id, c.req.valid("json")];
      return c.json(await updateSkill({ ctx: serviceCtx(c), id, input }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/agent/skills",
      tags: ["Skills"],
      security: bearer,
      summary: "Remove a registered skill by id (`owner/repo:path`)",
      request: { query: SkillIdQuery },
      responses: { 204: { description: "Deleted" }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      await deleteSkill({ ctx: serviceCtx(c), id: c.req.valid("query").id });
      return c.body(null, 204);
    },
  );

export const agentRoutes = newRouter().route("/", identityRoutes).route("/", skillRoutes);
