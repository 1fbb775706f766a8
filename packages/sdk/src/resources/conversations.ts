import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";
import type { Conversation } from "./runs.ts";

/** `client.agent.conversations`: conversations by id. */
export class Conversations extends APIResource {
  /**
   * A conversation by its id (a run's `conversation_id`).
   *
   * @example
   * const conversation = await client.agent.conversations.retrieve(run.conversation_id!);
   */
  retrieve(conversationId: string, options?: RequestOptions) {
    return this._client.get<Conversation>(path`/agent/conversations/${conversationId}`, options);
  }
}
