import type {
  CreateIntegrationRequest,
  CreateIntegrationResponse,
  DeleteIntegrationResponse,
  IntegrationDeliveryItem,
  IntegrationInstallLink,
  IntegrationItem,
  IntegrationLinkCode,
  ListIntegrationDeliveriesQuery,
  ListIntegrationDeliveriesResponse,
  ListIntegrationsResponse,
  UpdateIntegrationRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { PagePromise } from "../core/pagination.ts";
import { APIResource, path } from "../core/resource.ts";

export type IntegrationCreateParams = z.input<typeof CreateIntegrationRequest>;
export type IntegrationUpdateParams = z.input<typeof UpdateIntegrationRequest>;
export type IntegrationDeliveryListParams = Omit<
  ListIntegrationDeliveriesQuery,
  "cursor" | "limit"
> & {
  limit?: number;
  /** start from this page (a `page_info.next_cursor`) */
  cursor?: string;
};

/**
 * `client.integrations`: other systems that start runs (a generic signed webhook; GitHub), and
 * the log of every delivery they sent. Admins write, members read; credentials are write-only.
 */
export class Integrations extends APIResource {
  /**
   * Creates an integration. A `webhook` created without a secret gets one, in this answer only.
   *
   * @example
   * const hook = await client.integrations.create({ type: "webhook", name: "tickets", prompt_template: "Fix {{payload.ticket.title}}" });
   * console.log(hook.inbound_url, hook.generated_credentials?.secret);
   */
  create(body: IntegrationCreateParams, options?: RequestOptions) {
    return this._client.post<CreateIntegrationResponse>("/integrations", { body, ...options });
  }

  /**
   * Mints a one-time code linking your account in the integration's tool (a Slack user) to you.
   *
   * @example
   * const { instructions } = await client.integrations.createLinkCode(uid); // "In Slack, type: /ambit link …"
   */
  createLinkCode(uid: string, options?: RequestOptions) {
    return this._client.post<IntegrationLinkCode>(path`/integrations/${uid}/link-codes`, options);
  }

  /**
   * A link that installs the integration's app with OAuth (admin; Slack, Linear), working once for 10 minutes.
   *
   * @example
   * const { url } = await client.integrations.createInstallLink(uid); // open it in a browser
   */
  createInstallLink(uid: string, options?: RequestOptions) {
    return this._client.post<IntegrationInstallLink>(
      path`/integrations/${uid}/install-link`,
      options,
    );
  }

  /** The team's integrations, sorted by name. @example const { integrations } = await client.integrations.list(); */
  list(options?: RequestOptions) {
    return this._client.get<ListIntegrationsResponse>("/integrations", options);
  }

  /** @example const hook = await client.integrations.retrieve(uid); console.log(hook.credentials); */
  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<IntegrationItem>(path`/integrations/${uid}`, options);
  }

  /**
   * Changes the fields given; credential fields given replace those stored (`null` removes one).
   * Its runs act as whoever saved it last.
   *
   * @example
   * await client.integrations.update(uid, { enabled: false });
   */
  update(uid: string, body: IntegrationUpdateParams, options?: RequestOptions) {
    return this._client.patch<IntegrationItem>(path`/integrations/${uid}`, { body, ...options });
  }

  /** Deletes it with its delivery log; its runs are kept. @example await client.integrations.delete(uid); */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<DeleteIntegrationResponse>(path`/integrations/${uid}`, options);
  }

  /**
   * Its deliveries, newest first. Await for one page, or `for await` over every delivery.
   *
   * @example
   * for await (const d of client.integrations.deliveries(uid, { outcome: "failed" })) console.log(d.id, d.reason);
   */
  deliveries(
    uid: string,
    query: IntegrationDeliveryListParams = {},
    options?: RequestOptions,
  ): PagePromise<ListIntegrationDeliveriesResponse, IntegrationDeliveryItem> {
    const { cursor, ...rest } = query;
    return new PagePromise(
      (next) =>
        this._client.get<ListIntegrationDeliveriesResponse>(path`/integrations/${uid}/deliveries`, {
          ...options,
          query: { ...rest, ...(next ? { cursor: next } : {}) },
        }),
      (page) => page.deliveries,
      cursor,
    );
  }

  /**
   * Processes a stored delivery again, as a new delivery linked to it (admin).
   *
   * @example
   * const again = await client.integrations.redeliver(uid, deliveryId);
   */
  redeliver(uid: string, deliveryId: string, options?: RequestOptions) {
    return this._client.post<IntegrationDeliveryItem>(
      path`/integrations/${uid}/deliveries/${deliveryId}/redeliver`,
      options,
    );
  }
}
