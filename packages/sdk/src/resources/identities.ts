import type { AgentResponse, CreateAgentRequest, UpdateAgentRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type IdentityCreateParams = z.input<typeof CreateAgentRequest>;
export type IdentityUpdateParams = z.input<typeof UpdateAgentRequest>;

/** `client.agent.identities`: named agents (Oz agent identities) — team principals with run defaults; start a run as one with `agent_identity_uid`. */
export class Identities extends APIResource {
  /**
   * @example
   * const { agents } = await client.agent.identities.list();
   */
  list(query: { factory_uid?: string } = {}, options?: RequestOptions) {
    return this._client.get<{ agents: AgentResponse[] }>("/agent/identities", { ...options, query });
  }

  /**
   * Creates a named agent (admins, with a person's key).
   *
   * @example
   * const agent = await client.agent.identities.create({ name: "triage", prompt: "You triage issues.", base_model: "gpt-5" });
   */
  create(body: IdentityCreateParams, options?: RequestOptions) {
    return this._client.post<AgentResponse>("/agent/identities", { body, ...options });
  }

  /**
   * @example
   * const agent = await client.agent.identities.retrieve(uid);
   */
  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<AgentResponse>(path`/agent/identities/${uid}`, options);
  }

  /**
   * Partial update: omitted or null fields stay; `""`, `[]` or `{}` clear one; anything else replaces it.
   *
   * @example
   * await client.agent.identities.update(uid, { description: "", skills: ["acme/api:review"] });
   */
  update(uid: string, body: IdentityUpdateParams, options?: RequestOptions) {
    return this._client.put<AgentResponse>(path`/agent/identities/${uid}`, { body, ...options });
  }

  /**
   * Deletes the agent and revokes its API keys.
   *
   * @example
   * await client.agent.identities.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/identities/${uid}`, options);
  }
}
