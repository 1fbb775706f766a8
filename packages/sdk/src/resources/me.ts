import type { Me as MeInfo } from "@ambit/protocol";
import type { RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";

/** `client.me`: who the caller is. */
export class Me extends APIResource {
  /**
   * The caller's user (null for a service account), team, role now, whether the credential reaches
   * their personal resources, and whether it is an API key or a web console session.
   *
   * @example
   * const { user, team, role, via } = await client.me.retrieve();
   */
  retrieve(options?: RequestOptions) {
    return this._client.get<MeInfo>("/me", options);
  }
}
