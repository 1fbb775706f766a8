import type {
  CreateSecretRequest,
  RotateSecretsKeyResponse,
  Secret,
  SecretScope,
  UpdateSecretRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type SecretCreateParams = z.input<typeof CreateSecretRequest>;
export type SecretUpdateParams = z.input<typeof UpdateSecretRequest>;
export type SecretsKeyRotation = z.infer<typeof RotateSecretsKeyResponse>;
/** Which secret of that name: the team's (default) or your personal one. */
export type SecretScopeParams = { scope?: SecretScope };

/** `client.agent.secrets`: write-only values that runs receive as environment variables. */
export class Secrets extends APIResource {
  /**
   * The team's secrets and your personal ones (names and metadata; values never come back).
   *
   * @example
   * const { secrets } = await client.agent.secrets.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ secrets: Secret[] }>("/agent/secrets", options);
  }

  /**
   * Creates a secret: `scope: "team"` (admins; every run of the team) or `"personal"` (only runs you start).
   *
   * @example
   * await client.agent.secrets.create({ name: "OPENAI_API_KEY", value: key, type: "openai_api_key" });
   */
  create(body: SecretCreateParams, options?: RequestOptions) {
    return this._client.post<Secret>("/agent/secrets", { body, ...options });
  }

  /**
   * Changes a secret's value, description or type.
   *
   * @example
   * await client.agent.secrets.update("GITHUB_TOKEN", { value: newToken }, { scope: "personal" });
   */
  update(
    name: string,
    body: SecretUpdateParams,
    params: SecretScopeParams = {},
    options?: RequestOptions,
  ) {
    return this._client.put<Secret>(path`/agent/secrets/${name}`, {
      ...options,
      query: { ...params },
      body,
    });
  }

  /**
   * @example
   * await client.agent.secrets.delete("GITHUB_TOKEN", { scope: "team" });
   */
  delete(name: string, params: SecretScopeParams = {}, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/secrets/${name}`, {
      ...options,
      query: { ...params },
    });
  }

  /**
   * Rewraps the team's data key under the server's current `SECRETS_KEY` (admins; after a key rotation).
   *
   * @example
   * const { rewrapped, key_id } = await client.agent.secrets.rotate();
   */
  rotate(options?: RequestOptions) {
    return this._client.post<SecretsKeyRotation>("/agent/secrets/rotate", options);
  }
}
