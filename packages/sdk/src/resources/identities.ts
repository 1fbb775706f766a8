import type { AgentResponse, CreateAgentRequest, UpdateAgentRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { Collection } from "../core/collection.ts";

export type IdentityCreateParams = z.input<typeof CreateAgentRequest>;
export type IdentityUpdateParams = z.input<typeof UpdateAgentRequest>;

/**
 * `client.agent.identities`: named agents (Oz agent identities) — team principals with run
 * defaults; start a run as one with `agent_identity_uid`. Admins write them, with a person's key.
 * `update` is partial: omitted or null fields stay; `""`, `[]` or `{}` clear one; anything else
 * replaces it. `delete` also revokes the agent's API keys.
 *
 * @example
 * const agent = await client.agent.identities.create({ name: "triage", prompt: "You triage issues.", base_model: "gpt-5" });
 * await client.agent.identities.update(agent.uid, { description: "", skills: ["acme/api:review"] });
 */
export class Identities extends Collection<
  AgentResponse,
  IdentityCreateParams,
  IdentityUpdateParams
> {
  protected readonly basePath = "/agent/identities";

  /**
   * @example
   * const { agents } = await client.agent.identities.list();
   */
  list(query: { factory_uid?: string } = {}, options?: RequestOptions) {
    return this.listAt<{ agents: AgentResponse[] }>(query, options);
  }
}
