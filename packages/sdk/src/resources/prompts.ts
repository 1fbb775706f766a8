import type { SavedPrompt, SavedPromptRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type PromptCreateParams = z.input<typeof SavedPromptRequest>;

/** `client.agent.prompts`: saved prompts, started with `runs.create({ saved_prompt: uid or name })`. */
export class Prompts extends APIResource {
  /**
   * @example
   * const { prompts } = await client.agent.prompts.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ prompts: SavedPrompt[] }>("/agent/prompts", options);
  }

  /**
   * Creates one (members).
   *
   * @example
   * const created = await client.agent.prompts.create({ name: "triage", prompt: "Triage the newest open issues." });
   */
  create(body: PromptCreateParams, options?: RequestOptions) {
    return this._client.post<SavedPrompt>("/agent/prompts", { body, ...options });
  }

  /**
   * @example
   * const item = await client.agent.prompts.retrieve(uid);
   */
  retrieve(uid: string, options?: RequestOptions) {
    return this._client.get<SavedPrompt>(path`/agent/prompts/${uid}`, options);
  }

  /**
   * Replaces one (the whole body; members).
   *
   * @example
   * await client.agent.prompts.update(uid, { name: "triage", prompt: "Triage the newest open issues." });
   */
  update(uid: string, body: PromptCreateParams, options?: RequestOptions) {
    return this._client.put<SavedPrompt>(path`/agent/prompts/${uid}`, { body, ...options });
  }

  /**
   * @example
   * await client.agent.prompts.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/agent/prompts/${uid}`, options);
  }
}
