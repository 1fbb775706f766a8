import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateModelRequest,
  ListModelsResponse,
  ModelId,
  ModelInfo,
  UpdateModelRequest,
} from "@ambit/protocol";
import { createModel, deleteModel, listModels, updateModel } from "../services/config/models.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const json = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { "application/json": { schema } },
});
const IdParams = z.object({ id: ModelId });
const tags = ["Models"];

export const modelRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/models",
      tags,
      security: bearer,
      summary: "The team's model catalog and default (Oz ListModelsResponse)",
      responses: { 200: { description: "OK", ...json(ListModelsResponse) }, ...problems(401) },
    }),
    async (c) => c.json(await listModels({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/models",
      tags,
      security: bearer,
      summary: "Add a model to the catalog (admin)",
      request: { body: { required: true, ...json(CreateModelRequest) } },
      responses: {
        201: { description: "Created", ...json(ModelInfo) },
        ...problems(400, 401, 403, 409),
      },
    }),
    async (c) => c.json(await createModel({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/agent/models/{id}",
      tags,
      security: bearer,
      summary: "Replace a catalog entry (admin)",
      request: { params: IdParams, body: { required: true, ...json(UpdateModelRequest) } },
      responses: {
        200: { description: "Updated", ...json(ModelInfo) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await updateModel({
          ctx: serviceCtx(c),
          id: c.req.valid("param").id,
          input: c.req.valid("json"),
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/agent/models/{id}",
      tags,
      security: bearer,
      summary: "Remove a catalog entry (admin)",
      request: { params: IdParams },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteModel({ ctx: serviceCtx(c), id: c.req.valid("param").id });
      return c.body(null, 204);
    },
  );
