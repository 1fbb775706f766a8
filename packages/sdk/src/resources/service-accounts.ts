import type {
  CreateServiceAccountRequest,
  ServiceAccount,
  UpdateServiceAccountRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type ServiceAccountCreateParams = z.input<typeof CreateServiceAccountRequest>;
export type ServiceAccountUpdateParams = z.input<typeof UpdateServiceAccountRequest>;

/**
 * `client.serviceAccounts`: the team's non-human members (admins). Mint their keys with
 * `client.apiKeys.create({ name, service_account_uid })`.
 */
export class ServiceAccounts extends APIResource {
  /**
   * @example
   * const { service_accounts } = await client.serviceAccounts.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ service_accounts: ServiceAccount[] }>("/service-accounts", options);
  }

  /**
   * @example
   * const ci = await client.serviceAccounts.create({ name: "ci", role: "member" });
   * const { key } = await client.apiKeys.create({ name: "gh-actions", service_account_uid: ci.uid });
   */
  create(body: ServiceAccountCreateParams, options?: RequestOptions) {
    return this._client.post<ServiceAccount>("/service-accounts", { body, ...options });
  }

  /**
   * A lower role caps the account's keys from their next request on.
   *
   * @example
   * await client.serviceAccounts.update(uid, { role: "viewer" });
   */
  update(uid: string, body: ServiceAccountUpdateParams, options?: RequestOptions) {
    return this._client.patch<ServiceAccount>(path`/service-accounts/${uid}`, {
      body,
      ...options,
    });
  }

  /**
   * Deletes the account and revokes its keys.
   *
   * @example
   * await client.serviceAccounts.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/service-accounts/${uid}`, options);
  }
}
