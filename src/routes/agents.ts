import { createRoute, z } from "@hono/zod-openapi";
import {
  AgentListQuery, AgentListResponse, AgentResponse, CreateAgentRequest, ListAgentsResponse, RegisterSkillRequest, RegisterSkillResponse, SkillIdQuery, UidParams,
  UpdateAgentRequest,
} from "@ambit/protocol";
import { createAgent, deleteAgent, getAgent, listAgents, updateAgent } from "../services/config/identities.ts";
import { deleteSkill, listSkills, registerSkill } from "../services/config/skills.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } } });

/** Named agents (`/agent/identities`, Oz shapes) and skills (`GET /agent`, Oz shape; registered with `POST /agent/skills`). */
export const agentRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get", path: "/agent/identities", tags: ["Named agents"], security: bearer, summary: "List the team's named agents",
      request: { query: z.object({ factory_uid: z.string().max(64).optional() }) },
      responses: { 200: { description: "OK", ...json(ListAgentsResponse) }, ...problems(401) },
    }),
    async (c) => {
      const factory = c.req.valid("query").factory_uid;
      const agents = await listAgents({ ctx: serviceCtx(c) });
      return c.json({ agents: factory ? agents.filter((a) => a.factory_uid === factory) : agents }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post", path: "/agent/identities", tags: ["Named agents"], security: bearer, summary: "Create a named agent (admin, people only)",
      request: { body: { required: true, ...json(CreateAgentRequest) } },
      responses: { 201: { description: "Created", ...json(AgentResponse) }, ...problems(400, 401, 403) },
    }),
    async (c) => c.json(await createAgent({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "get", path: "/agent/identities/{uid}", tags: ["Named agents"], security: bearer, summary: "Get a named agent",
      request: { params: UidParams }, responses: { 200: { description: "OK", ...json(AgentResponse) }, ...problems(401, 404) },
    }),
    async (c) => c.json(await getAgent({ ctx: serviceCtx(c), uid: c.req.valid("param").uid }), 200),
  )
  .openapi(
    createRoute({
      method: "put", path: "/agent/identities/{uid}", tags: ["Named agents"], security: bearer,
      summary: "Update a named agent (omitted/null = unchanged; empty = clear; otherwise replace)",
      request: { params: UidParams, body: { required: true, ...json(UpdateAgentRequest) } },
      responses: { 200: { description: "Updated", ...json(AgentResponse) }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => c.json(await updateAgent({ ctx: serviceCtx(c), uid: c.req.valid("param").uid, input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "delete", path: "/agent/identities/{uid}", tags: ["Named agents"], security: bearer, summary: "Delete a named agent and revoke its API keys",
      request: { params: UidParams }, responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteAgent({ ctx: serviceCtx(c), uid: c.req.valid("param").uid });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get", path: "/agent", tags: ["Skills"], security: bearer, summary: "List skills (Oz AgentListResponse)",
      request: { query: AgentListQuery }, responses: { 200: { description: "OK", ...json(AgentListResponse) }, ...problems(400, 401) },
    }),
    async (c) => c.json({ agents: await listSkills({ ctx: serviceCtx(c), query: c.req.valid("query") }) }, 200),
  )
  .openapi(
    createRoute({
      method: "post", path: "/agent/skills", tags: ["Skills"], security: bearer, summary: "Register a SKILL.md found in a repository (member; hosts do this after cloning)",
      request: { body: { required: true, ...json(RegisterSkillRequest) } },
      responses: { 200: { description: "Registered", ...json(RegisterSkillResponse) }, ...problems(400, 401, 403) },
    }),
    async (c) => c.json(await registerSkill({ ctx: serviceCtx(c), input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "delete", path: "/agent/skills", tags: ["Skills"], security: bearer, summary: "Remove a registered skill by id (`owner/repo:path`)",
      request: { query: SkillIdQuery }, responses: { 204: { description: "Deleted" }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      await deleteSkill({ ctx: serviceCtx(c), id: c.req.valid("query").id });
      return c.body(null, 204);
    },
  );
