import { createRoute, z } from "@hono/zod-openapi";
import { CloudEnvironment, EnvironmentRequest, ListEnvironmentsQuery, ListEnvironmentsResponse, UidParams } from "@ambit/protocol";
import { createEnvironment, deleteEnvironment, getEnvironment, listEnvironments, updateEnvironment } from "../services/config/environments.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } } });
const tags = ["Environments"];

export const environmentRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get", path: "/agent/environments", tags, security: bearer, summary: "List environments (Oz shape, with the last run of each)",
      request: { query: ListEnvironmentsQuery },
      responses: { 200: { description: "OK", ...json(ListEnvironmentsResponse) }, ...problems(400, 401) },
    }),
    async (c) => c.json({ environments: await listEnvironments({ ctx: serviceCtx(c), sortBy: c.req.valid("query").sort_by }) }, 200),
  )
  .openapi(
    createRoute({
      method: "post", path: "/agent/environments", tags, security: bearer, summary: "Create an environment (member)",
      request: { body: { required: true, ...json(EnvironmentRequest) } },
      responses: { 201: { description: "Created", ...json(CloudEnvironment) }, ...problems(400, 401, 403) },
    }),
    async (c) => c.json(await createEnvironment({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "get", path: "/agent/environments/{uid}", tags, security: bearer, summary: "Get an environment",
      request: { params: UidParams },
      responses: { 200: { description: "OK", ...json(CloudEnvironment) }, ...problems(401, 404) },
    }),
    async (c) => c.json(await getEnvironment({ ctx: serviceCtx(c), uid: c.req.valid("param").uid }), 200),
  )
  .openapi(
    createRoute({
      method: "put", path: "/agent/environments/{uid}", tags, security: bearer, summary: "Replace an environment (member); past runs keep their copy",
      request: { params: UidParams, body: { required: true, ...json(EnvironmentRequest) } },
      responses: { 200: { description: "Updated", ...json(CloudEnvironment) }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => c.json(await updateEnvironment({ ctx: serviceCtx(c), uid: c.req.valid("param").uid, input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "delete", path: "/agent/environments/{uid}", tags, security: bearer, summary: "Delete an environment (member)",
      request: { params: UidParams },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteEnvironment({ ctx: serviceCtx(c), uid: c.req.valid("param").uid });
      return c.body(null, 204);
    },
  );
