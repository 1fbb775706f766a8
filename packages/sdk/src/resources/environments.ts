import type { CloudEnvironment, EnvironmentRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type EnvironmentCreateParams = z.input<typeof EnvironmentRequest>;
export type EnvironmentListParams = { sort_by?: "name" | "last_updated" };

/** `client.agent.environments`: where runs happen — image, repositories, setup commands, env vars, default secrets. */
export class Environments extends APIResource {
  /**
   * Every environment of the team (Oz `CloudEnvironment`), with the last run of each.
   *
   * @example
   * const { environments } = await client.agent.environments.list({ sort_by: "name" });
   */
  list(query: EnvironmentListParams = {}, options?: RequestOptions) {
    return this._client.get<{ environments: CloudEnvironment[] }>("/agent/environments", { ...options, query });
  }

  /**
   * Creates an environment (members).
   *
   * @example
   * const env = await client.agent.environments.create({ name: "api", repositories: [{ url: "acme/api" }], setup_commands: ["npm ci"] });
   */
  create(body: EnvironmentCreateParams, options?: RequestOptions) {
    return this._client.post<CloudEnvironment>("/agent/environments", { body, ...options });
  }

  /**
   * @example
   * const env = await client.agent.environments.retrieve(uid);
   */
  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<CloudEnvironment>(path`/agent/environments/${uid}`, options);
  }

  /**
   * Replaces an environment (the whole body; runs already created keep their copy).
   *
   * @example
   * const { config } = await client.agent.environments.retrieve(uid);
   * await client.agent.environments.update(uid, { ...config, setup_commands: [...(config.setup_commands ?? []), "npm run build"] });
   */
  update(uid: string, body: EnvironmentCreateParams, options?: RequestOptions) {
    return this._client.put<CloudEnvironment>(path`/agent/environments/${uid}`, { body, ...options });
  }

  /**
   * @example
   * await client.agent.environments.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/environments/${uid}`, options);
  }
}
