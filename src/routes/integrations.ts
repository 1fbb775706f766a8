import { createRoute, z } from "@hono/zod-openapi";
import { auditedWrite } from "../lib/audit-note.ts";
import {
  CreateIntegrationRequest,
  CreateIntegrationResponse,
  DeleteIntegrationResponse,
  InboundDeliveryResponse,
  IntegrationInstallLink,
  IntegrationLinkCode,
  IntegrationDeliveryItem,
  IntegrationItem,
  ListIntegrationDeliveriesQuery,
  ListIntegrationDeliveriesResponse,
  ListIntegrationsResponse,
  UpdateIntegrationRequest,
} from "@ambit/protocol";
import { answerHoldsSecret } from "../middleware/idempotency.ts";
import { listDeliveries, redeliverDelivery } from "../services/integrations/deliveries.ts";
import { getIntegration, listIntegrations } from "../services/integrations/get-integration.ts";
import { completeInstall, createInstallLink } from "../services/integrations/install.ts";
import { createLinkCode } from "../services/integrations/link-code.ts";
import { receiveDelivery } from "../services/integrations/receive-delivery.ts";
import {
  createIntegration,
  deleteIntegration,
  updateIntegration,
} from "../services/integrations/write-integration.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

const Params = z.object({ uid: z.string().min(1).max(64) });
const DeliveryParams = Params.extend({ deliveryId: z.string().min(1).max(64) });
const tags = ["Integrations"];
const item = (description: string) => ({ description, ...json(IntegrationItem) });

/** The inbound URL: no key, the sender's signature is the credential (checked by the service). */
export const integrationInboundRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/integrations/{uid}/events",
      tags,
      security: [],
      summary: "Receive a delivery from the integration's sender (signed, no API key)",
      description:
        "The body is read once as bytes and the signature checked over them (a generic webhook: Standard Webhooks `webhook-id`, `webhook-timestamp`, `webhook-signature`) before anything is parsed. Some senders get their own answer instead of the 202 (Slack: the `url_verification` challenge, a slash command's ephemeral text) and may post forms (Slack's commands and buttons). 401 (empty body): bad or missing signature, or a timestamp more than 5 minutes off; 403 `integration_disabled`; 404: no such integration; 413: body over the limit; 400: not JSON. A repeated sender delivery id answers 200 and does nothing.",
      request: { params: Params },
      responses: {
        202: { description: "Recorded; processed from a queue", ...json(InboundDeliveryResponse) },
        200: {
          description: "A repeat of a delivery already recorded",
          ...json(InboundDeliveryResponse),
        },
        401: { description: "Bad or missing signature, or a stale timestamp (empty body)" },
        ...problems(400, 403, 404, 413, 429, 503),
      },
    }),
    async (c) => {
      const answer = await receiveDelivery(c.env, {
        integrationId: c.req.valid("param").uid,
        headers: c.req.raw.headers,
        body: new Uint8Array(await c.req.arrayBuffer()),
      });
      if (answer.status === 401) return c.body(null, 401);
      if ("raw" in answer)
        return c.body(answer.raw.body, 200, { "content-type": answer.raw.contentType });
      return c.json(answer.body, answer.status);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations/install/callback",
      tags,
      security: [],
      summary: "Where the vendor's OAuth install redirects back (no API key: the signed state)",
      description:
        "Checks `state` (signed for a team, integration and admin; 10 minutes; single use), exchanges `code` (Slack: `oauth.v2.access`; Linear: `/oauth/token`, then `viewer { id }` as `app_user_id`) and stores the token sealed in the integration's credentials. Answers a short page.",
      request: {
        query: z.object({
          code: z.string().max(500).optional(),
          state: z.string().max(4000).optional(),
          error: z.string().max(200).optional(),
        }),
      },
      responses: {
        200: { description: "Installed", content: { "text/plain": { schema: z.string() } } },
        ...problems(400, 403, 404),
      },
    }),
    async (c) => {
      await completeInstall(c.env, c.req.valid("query"));
      return c.text("Installed. You can close this tab and mention the app where you work.", 200);
    },
  );

export const integrationsRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/integrations/{uid}/install-link",
      tags,
      security: bearer,
      summary: "Make a link that installs the integration's app with OAuth (admin; Slack, Linear)",
      description:
        "Needs the app's `client_id` and `client_secret` in the credentials and the server's PUBLIC_URL. The link's `state` is signed for this team, integration and you; it works once, for 10 minutes.",
      request: { params: Params },
      responses: {
        201: { description: "The install link", ...json(IntegrationInstallLink) },
        ...problems(401, 403, 404, 422),
      },
    }),
    async (c) =>
      c.json(await createInstallLink({ ctx: serviceCtx(c), id: c.req.valid("param").uid }), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/integrations/{uid}/link-codes",
      tags,
      security: bearer,
      summary: "Mint a one-time code that links your account in the integration's tool to you",
      description:
        "Members, with their own personal key. The code lives 10 minutes and works once: typing `/ambit link <code>` in Slack makes that Slack user act as you there (start runs, answer them, cancel what you may).",
      request: { params: Params },
      middleware: [
        answerHoldsSecret({
          retry: "withhold",
          what: "a one-time link code",
          hint: "Mint another code (POST again with a new Idempotency-Key).",
        }),
      ],
      responses: {
        201: { description: "The code, shown once", ...json(IntegrationLinkCode) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) =>
      c.json(await createLinkCode({ ctx: serviceCtx(c), id: c.req.valid("param").uid }), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/integrations",
      tags,
      security: bearer,
      summary: "Create an integration (admin)",
      description:
        "Credentials are write-only. A `webhook` integration created without `credentials.secret` gets a generated one, shown only in this response.",
      request: { body: { required: true, ...json(CreateIntegrationRequest) } },
      middleware: [
        answerHoldsSecret({
          retry: "withhold",
          what: "a new integration's generated secret",
          hint: "Find the integration in GET /api/v1/integrations and set a new secret with PATCH, or delete it and create another with a new Idempotency-Key.",
        }),
      ],
      responses: {
        201: { description: "Created", ...json(CreateIntegrationResponse) },
        ...problems(400, 401, 403, 413, 422),
      },
    }),
    async (c) => {
      const [ctx, input] = [serviceCtx(c), c.req.valid("json")];
      const write = () => createIntegration({ ctx, input });
      return c.json(await auditedWrite(ctx, undefined, write), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations",
      tags,
      security: bearer,
      summary: "List the team's integrations, sorted by name (members)",
      responses: {
        200: {
          description: "Every integration (not paginated)",
          ...json(ListIntegrationsResponse),
        },
        ...problems(401, 403),
      },
    }),
    async (c) => c.json(await listIntegrations({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations/{uid}",
      tags,
      security: bearer,
      summary: "Get an integration (members); credentials show only which fields are set",
      request: { params: Params },
      responses: { 200: item("The integration"), ...problems(401, 403, 404) },
    }),
    async (c) =>
      c.json(await getIntegration({ ctx: serviceCtx(c), id: c.req.valid("param").uid }), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/integrations/{uid}",
      tags,
      security: bearer,
      summary: "Change an integration (admin); its runs then act as you",
      request: { params: Params, body: { required: true, ...json(UpdateIntegrationRequest) } },
      responses: { 200: item("The integration"), ...problems(400, 401, 403, 404, 413) },
    }),
    async (c) => {
      const [ctx, { uid: id }, input] = [serviceCtx(c), c.req.valid("param"), c.req.valid("json")];
      const read = () => getIntegration({ ctx, id });
      return c.json(
        await auditedWrite(ctx, read, () => updateIntegration({ ctx, id, input })),
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/integrations/{uid}",
      tags,
      security: bearer,
      summary: "Delete an integration with its delivery log (admin); its runs are kept",
      request: { params: Params },
      responses: {
        200: { description: "Deleted", ...json(DeleteIntegrationResponse) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const [ctx, { uid: id }] = [serviceCtx(c), c.req.valid("param")];
      const read = () => getIntegration({ ctx, id });
      const write = () => deleteIntegration({ ctx, id });
      return c.json(await auditedWrite(ctx, read, write, { deletes: true }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations/{uid}/deliveries",
      tags,
      security: bearer,
      summary: "List an integration's deliveries, newest first (members)",
      request: { params: Params, query: ListIntegrationDeliveriesQuery },
      responses: {
        200: { description: "One page", ...json(ListIntegrationDeliveriesResponse) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(
        await listDeliveries({
          ctx: serviceCtx(c),
          id: c.req.valid("param").uid,
          input: c.req.valid("query"),
        }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/integrations/{uid}/deliveries/{deliveryId}/redeliver",
      tags,
      security: bearer,
      summary: "Process a stored delivery again, as a new delivery linked to it (admin)",
      request: { params: DeliveryParams },
      responses: {
        202: { description: "The new delivery, queued", ...json(IntegrationDeliveryItem) },
        ...problems(401, 403, 404, 422, 503),
      },
    }),
    async (c) => {
      const { uid, deliveryId } = c.req.valid("param");
      return c.json(await redeliverDelivery({ ctx: serviceCtx(c), id: uid, deliveryId }), 202);
    },
  );
