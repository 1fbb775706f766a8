import type { EnvVar, EnvVarRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type EnvVarSetParams = z.input<typeof EnvVarRequest>;

/** `client.agent.envVars`: team environment variables every run receives (not secret: values are shown). */
export class EnvVars extends APIResource {
  /**
   * @example
   * const { env_vars } = await client.agent.envVars.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ env_vars: EnvVar[] }>("/agent/env-vars", options);
  }

  /**
   * Creates or replaces a variable (admins).
   *
   * @example
   * await client.agent.envVars.set("NODE_ENV", { value: "test" });
   */
  set(name: string, body: EnvVarSetParams, options?: RequestOptions) {
    return this._client.put<EnvVar>(path`/agent/env-vars/${name}`, { body, ...options });
  }

  /**
   * @example
   * await client.agent.envVars.delete("NODE_ENV");
   */
  delete(name: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/env-vars/${name}`, options);
  }
}
