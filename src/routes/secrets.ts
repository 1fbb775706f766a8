import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateSecretRequest,
  ListSecretsResponse,
  RotateSecretsKeyResponse,
  Secret,
  SecretName,
  SecretScopeQuery,
  UpdateSecretRequest,
} from "@ambit/protocol";
import {
  createSecret,
  deleteSecret,
  listSecrets,
  rotateSecretsKey,
  updateSecret,
} from "../services/config/secrets.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const NameParams = z.object({ name: SecretName });
const json = <T extends z.ZodTypeAny>(schema: T) => ({
  content: { "application/json": { schema } },
});
const tags = ["Secrets"];

export const secretRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/secrets",
      tags,
      security: bearer,
      summary: "List team secrets and your personal secrets (values are write-only)",
      responses: { 200: { description: "OK", ...json(ListSecretsResponse) }, ...problems(401) },
    }),
    async (c) => c.json({ secrets: await listSecrets({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/secrets",
      tags,
      security: bearer,
      summary: "Create a secret (team: admin; personal: yours, reaching only runs you start)",
      request: { body: { required: true, ...json(CreateSecretRequest) } },
      responses: {
        201: { description: "Created", ...json(Secret) },
        ...problems(400, 401, 403, 409),
      },
    }),
    async (c) =>
      c.json(await createSecret({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/agent/secrets/{name}",
      tags,
      security: bearer,
      summary: "Change a secret's value, description or type",
      request: {
        params: NameParams,
        query: SecretScopeQuery,
        body: { required: true, ...json(UpdateSecretRequest) },
      },
      responses: {
        200: { description: "Updated", ...json(Secret) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await updateSecret({
          ctx: serviceCtx(c),
          name: c.req.valid("param").name,
          scope: c.req.valid("query").scope,
          input: c.req.valid("json"),
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/agent/secrets/{name}",
      tags,
      security: bearer,
      summary: "Delete a secret",
      request: { params: NameParams, query: SecretScopeQuery },
      responses: { 204: { description: "Deleted" }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      await deleteSecret({
        ctx: serviceCtx(c),
        name: c.req.valid("param").name,
        scope: c.req.valid("query").scope,
      });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/secrets/rotate",
      tags,
      security: bearer,
      summary:
        "Rewrap the team's data key under the current platform key (admin; after rotating SECRETS_KEY)",
      responses: {
        200: { description: "OK", ...json(RotateSecretsKeyResponse) },
        ...problems(401, 403),
      },
    }),
    async (c) => c.json(await rotateSecretsKey({ ctx: serviceCtx(c) }), 200),
  );
