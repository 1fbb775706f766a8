import type {
  CreateWebhookRequest,
  CreateWebhookResponse,
  ListWebhookDeliveriesResponse,
  UpdateWebhookRequest,
  WebhookDeliveryItem,
  WebhookDeliveryStatus,
  WebhookItem,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type WebhookCreateParams = z.input<typeof CreateWebhookRequest>;
export type WebhookUpdateParams = z.input<typeof UpdateWebhookRequest>;
export type WebhookDeliveriesParams = {
  cursor?: string;
  /** 1–100, default 20 */
  limit?: number;
  status?: WebhookDeliveryStatus;
};
export type {
  CreateWebhookResponse,
  ListWebhookDeliveriesResponse,
  WebhookDeliveryItem,
  WebhookItem,
};

/**
 * `client.webhooks`: outbound webhooks (admins). The team's events are POSTed to each endpoint,
 * signed per Standard Webhooks with its `whsec_` secret.
 */
export class Webhooks extends APIResource {
  /**
   * Every endpoint of the team (never its secret).
   *
   * @example
   * const { webhooks } = await client.webhooks.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ webhooks: WebhookItem[] }>("/webhooks", options);
  }

  /**
   * Creates an endpoint; `secret` (`whsec_…`) appears only in this answer.
   *
   * @example
   * const { uid, secret } = await client.webhooks.create({
   *   url: "https://ci.example.com/ambit", event_types: ["run.completed"],
   * });
   */
  create(body: WebhookCreateParams, options?: RequestOptions) {
    return this._client.post<CreateWebhookResponse>("/webhooks", { body, ...options });
  }

  /**
   * One endpoint.
   *
   * @example
   * const hook = await client.webhooks.get(uid);
   * if (!hook.enabled) console.log(hook.disabled_reason);
   */
  get(uid: string, options?: RequestOptions) {
    return this._client.get<WebhookItem>(path`/webhooks/${uid}`, options);
  }

  /**
   * Changes what is given; `enabled: true` enables a disabled endpoint again.
   *
   * @example
   * await client.webhooks.update(uid, { enabled: true });
   */
  update(uid: string, body: WebhookUpdateParams, options?: RequestOptions) {
    return this._client.patch<WebhookItem>(path`/webhooks/${uid}`, { body, ...options });
  }

  /**
   * Deletes an endpoint and its deliveries.
   *
   * @example
   * await client.webhooks.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/webhooks/${uid}`, options);
  }

  /**
   * Sends a `webhook.test` event; answers its delivery (recorded like any other).
   *
   * @example
   * const delivery = await client.webhooks.test(uid);
   */
  test(uid: string, options?: RequestOptions) {
    return this._client.post<WebhookDeliveryItem>(path`/webhooks/${uid}/test`, options);
  }

  /**
   * A page of the endpoint's deliveries, newest first, each with its attempts.
   *
   * @example
   * const { deliveries, page_info } = await client.webhooks.deliveries(uid, { status: "gave_up" });
   */
  deliveries(uid: string, query: WebhookDeliveriesParams = {}, options?: RequestOptions) {
    return this._client.get<ListWebhookDeliveriesResponse>(path`/webhooks/${uid}/deliveries`, {
      ...options,
      query,
    });
  }

  /**
   * Sends a delivery again: the same body and `webhook-id`, a new series of attempts.
   *
   * @example
   * await client.webhooks.resend(uid, deliveryId);
   */
  resend(uid: string, deliveryId: string, options?: RequestOptions) {
    return this._client.post<WebhookDeliveryItem>(
      path`/webhooks/${uid}/deliveries/${deliveryId}/resend`,
      options,
    );
  }
}
