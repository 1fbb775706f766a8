import type { ApiKey, CreateApiKeyRequest, CreateApiKeyResponse } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type ApiKeyCreateParams = z.input<typeof CreateApiKeyRequest>;
export type CreatedApiKey = z.infer<typeof CreateApiKeyResponse>;

/** `client.apiKeys`: the team's API keys (admins). */
export class ApiKeys extends APIResource {
  /**
   * Every key of the team (never the secret itself).
   *
   * @example
   * const { api_keys } = await client.apiKeys.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ api_keys: ApiKey[] }>("/api-keys", options);
  }

  /**
   * Creates a key; `key` (the secret) appears only in this answer.
   *
   * @example
   * const { key } = await client.apiKeys.create({ name: "ci", role: "member", expires_in_days: 90 });
   */
  create(body: ApiKeyCreateParams, options?: RequestOptions) {
    return this._client.post<CreatedApiKey>("/api-keys", { body, ...options });
  }

  /**
   * Revokes a key at once.
   *
   * @example
   * await client.apiKeys.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/api-keys/${uid}`, options);
  }
}
