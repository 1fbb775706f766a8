import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateServiceAccountRequest,
  ListServiceAccountsResponse,
  ServiceAccount,
  UpdateServiceAccountRequest,
} from "@ambit/protocol";
import {
  createServiceAccount,
  deleteServiceAccount,
  listServiceAccounts,
  updateServiceAccount,
} from "../services/service-accounts.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

const Params = z.object({ uid: z.string().min(1).max(64) });
const tags = ["Service accounts"];

export const serviceAccountRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/service-accounts",
      tags,
      security: bearer,
      summary: "List the team's service accounts (admin)",
      responses: {
        200: { description: "OK", ...json(ListServiceAccountsResponse) },
        ...problems(401, 403),
      },
    }),
    async (c) =>
      c.json({ service_accounts: await listServiceAccounts({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/service-accounts",
      tags,
      security: bearer,
      summary: "Create a service account (admin)",
      description:
        "A non-human member: mint its keys with POST /api-keys and `service_account_uid`. Its role caps its keys'.",
      request: { body: { required: true, ...json(CreateServiceAccountRequest) } },
      responses: {
        201: { description: "Created", ...json(ServiceAccount) },
        ...problems(400, 401, 403, 409),
      },
    }),
    async (c) =>
      c.json(await createServiceAccount({ ctx: serviceCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/service-accounts/{uid}",
      tags,
      security: bearer,
      summary: "Rename a service account or change its role (admin)",
      request: { params: Params, body: { required: true, ...json(UpdateServiceAccountRequest) } },
      responses: {
        200: { description: "Updated", ...json(ServiceAccount) },
        ...problems(400, 401, 403, 404, 409),
      },
    }),
    async (c) =>
      c.json(
        await updateServiceAccount({
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
      path: "/service-accounts/{uid}",
      tags,
      security: bearer,
      summary: "Delete a service account and revoke its keys (admin)",
      request: { params: Params },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteServiceAccount({ ctx: serviceCtx(c), uid: c.req.valid("param").uid });
      return c.body(null, 204);
    },
  );
