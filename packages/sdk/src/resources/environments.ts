import type { CloudEnvironment, EnvironmentRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { Collection } from "../core/collection.ts";

export type EnvironmentCreateParams = z.input<typeof EnvironmentRequest>;
export type EnvironmentListParams = { sort_by?: "name" | "last_updated" };

/**
 * `client.agent.environments`: where runs happen — image, repositories, setup commands, env vars,
 * default secrets. Members write them; `update` replaces the whole body (runs already created keep
 * their copy).
 *
 * @example
 * const env = await client.agent.environments.create({ name: "api", repositories: [{ url: "acme/api" }], setup_commands: ["npm ci"] });
 * const { config } = await client.agent.environments.retrieve(env.uid);
 * await client.agent.environments.update(env.uid, { ...config, setup_commands: [...(config.setup_commands ?? []), "npm run build"] });
 */
export class Environments extends Collection<CloudEnvironment, EnvironmentCreateParams> {
  protected readonly basePath = "/agent/environments";

  /**
   * Every environment of the team (Oz `CloudEnvironment`), with the last run of each.
   *
   * @example
   * const { environments } = await client.agent.environments.list({ sort_by: "name" });
   */
  list(query: EnvironmentListParams = {}, options?: RequestOptions) {
    return this.listAt<{ environments: CloudEnvironment[] }>(query, options);
  }
}
