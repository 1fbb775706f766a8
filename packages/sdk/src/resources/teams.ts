import type { CreateTeamRequest, CreateTeamResponse } from "@ambit/protocol";
import type { RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";

/** `client.teams`: signup (needs no key: construct the client with `apiKey: null`). */
export class Teams extends APIResource {
  /**
   * Creates a team, its owner and an owner API key (shown only here). Needs `SIGNUP=open` on the server.
   *
   * @example
   * const anon = new Ambit({ apiKey: null, baseURL: "http://localhost:8787" });
   * const { api_key } = await anon.teams.create({ name: "acme", owner: { email: "ada@example.com" } });
   */
  create(body: CreateTeamRequest, options?: RequestOptions) {
    return this._client.post<CreateTeamResponse>("/teams", { body, ...options });
  }
}
