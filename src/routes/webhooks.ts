import { createRoute, z } from "@hono/zod-openapi";
import { auditedWrite } from "../lib/audit-note.ts";
import {
  CreateWebhookRequest,
  CreateWebhookResponse,
  ListWebhookDeliveriesQuery,
  ListWebhookDeliveriesResponse,
  ListWebhooksResponse,
  UidParams,
  UpdateWebhookRequest,
  WebhookDeliveryItem,
  WebhookItem,
} from "@ambit/protocol";
import { answerHoldsSecret } from "../middleware/idempotency.ts";
import { listDeliveries, resendDelivery, testWebhook } from "../services/webhooks/deliveries.ts";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  updateWebhook,
} from "../services/webhooks/write-webhook.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

const common = { tags: ["Webhooks"], security: bearer };
const DeliveryParams = UidParams.extend({ id: z.string().min(1).max(64) });

/** Outbound webhooks (admin): endpoints, their deliveries, a test event and resends. */
export const webhookRoutes = newRouter()
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/webhooks",
      summary: "List outbound webhooks (admin)",
      responses: {
        200: { description: "OK", ...json(ListWebhooksResponse) },
        ...problems(401, 403),
      },
    }),
    async (c) => c.json({ webhooks: await listWebhooks({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/webhooks",
      summary: "Create an outbound webhook (admin)",
      description:
        "Events of the chosen types are POSTed to the URL, signed per Standard Webhooks with the `whsec_` secret this response shows once.",
      request: { body: { required: true, ...json(CreateWebhookRequest) } },
      middleware: [
        answerHoldsSecret({
          retry: "withhold",
          what: "a new webhook secret",
          hint: "Find the webhook in GET /api/v1/webhooks, delete it, and create another with a new Idempotency-Key.",
        }),
      ],
      responses: {
        201: { description: "Created", ...json(CreateWebhookResponse) },
        ...problems(400, 401, 403, 422),
      },
    }),
    async (c) => {
      const [ctx, input] = [serviceCtx(c), c.req.valid("json")];
      return c.json(await auditedWrite(ctx, undefined, () => createWebhook({ ctx, input })), 201);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/webhooks/{uid}",
      summary: "Get an outbound webhook (admin)",
      request: { params: UidParams },
      responses: { 200: { description: "OK", ...json(WebhookItem) }, ...problems(401, 403, 404) },
    }),
    async (c) =>
      c.json(await getWebhook({ ctx: serviceCtx(c), uid: c.req.valid("param").uid }), 200),
  )
  .openapi(
    createRoute({
      ...common,
      method: "patch",
      path: "/webhooks/{uid}",
      summary: "Change an outbound webhook (admin)",
      description: "Only the fields given change. Enabling it clears `disabled_reason`.",
      request: { params: UidParams, body: { required: true, ...json(UpdateWebhookRequest) } },
      responses: {
        200: { description: "OK", ...json(WebhookItem) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const [ctx, { uid }, input] = [serviceCtx(c), c.req.valid("param"), c.req.valid("json")];
      const read = () => getWebhook({ ctx, uid });
      return c.json(await auditedWrite(ctx, read, () => updateWebhook({ ctx, uid, input })), 200);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "delete",
      path: "/webhooks/{uid}",
      summary: "Delete an outbound webhook and its deliveries (admin)",
      request: { params: UidParams },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const [ctx, { uid }] = [serviceCtx(c), c.req.valid("param")];
      const read = () => getWebhook({ ctx, uid });
      await auditedWrite(ctx, read, () => deleteWebhook({ ctx, uid }), { deletes: true });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/webhooks/{uid}/test",
      summary: "Send a webhook.test event (admin)",
      description: "Recorded as a delivery like any other; also sent to a disabled endpoint.",
      request: { params: UidParams },
      responses: {
        202: { description: "Queued", ...json(WebhookDeliveryItem) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) =>
      c.json(await testWebhook({ ctx: serviceCtx(c), uid: c.req.valid("param").uid }), 202),
  )
  .openapi(
    createRoute({
      ...common,
      method: "get",
      path: "/webhooks/{uid}/deliveries",
      summary: "List a webhook's deliveries with their attempts (admin)",
      request: { params: UidParams, query: ListWebhookDeliveriesQuery },
      responses: {
        200: { description: "OK", ...json(ListWebhookDeliveriesResponse) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await listDeliveries({
          ctx: serviceCtx(c),
          uid: c.req.valid("param").uid,
          query: c.req.valid("query"),
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      ...common,
      method: "post",
      path: "/webhooks/{uid}/deliveries/{id}/resend",
      summary: "Send a delivery again (admin)",
      description:
        "The same body and `webhook-id`, in a new series of attempts on the retry schedule.",
      request: { params: DeliveryParams },
      responses: {
        202: { description: "Queued", ...json(WebhookDeliveryItem) },
        ...problems(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const { uid, id } = c.req.valid("param");
      return c.json(await resendDelivery({ ctx: serviceCtx(c), uid, deliveryId: id }), 202);
    },
  );
