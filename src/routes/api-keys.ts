import { createRoute, z } from "@hono/zod-openapi";
import { CreateApiKeyRequest, CreateApiKeyResponse, ListApiKeysResponse } from "@ambit/protocol";
import { answerHoldsSecret } from "../middleware/idempotency.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

export const apiKeyRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/api-keys",
      tags: ["API keys"],
      security: bearer,
      summary: "List the team's API keys (admin)",
      responses: {
        200: {
          description: "OK",
          content: { "application/json": { schema: ListApiKeysResponse } },
        },
        ...problems(401, 403),
      },
    }),
    async (c) => c.json({ api_keys: await listApiKeys({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api-keys",
      tags: ["API keys"],
      security: bearer,
      summary: "Create an API key (admin)",
      description:
        "The key acts as the caller, with a role no higher than the caller's. The secret is shown only in this response.",
      request: {
        body: { required: true, content: { "application/json": { schema: CreateApiKeyRequest } } },
      },
      middleware: [
        answerHoldsSecret({
          retry: "withhold",
          what: "a new API key",
          hint: "Find the key by its name and prefix in GET /api/v1/api-keys, revoke it, and create another with a new Idempotency-Key.",
        }),
      ],
      responses: {
        201: {
          description: "Created",
          content: { "application/json": { schema: CreateApiKeyResponse } },
        },
        ...problems(400, 401, 403, 422),
      },
    }),
    async (c) =>
      c.json(await createApiKey({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api-keys/{uid}",
      tags: ["API keys"],
      security: bearer,
      summary: "Revoke an API key (admin)",
      request: { params: z.object({ uid: z.string().min(1).max(64) }) },
      responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await revokeApiKey({ ctx: serviceCtx(c), uid: c.req.valid("param").uid });
      return c.body(null, 204);
    },
  );
