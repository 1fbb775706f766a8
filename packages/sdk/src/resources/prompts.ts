import type { SavedPrompt, SavedPromptRequest } from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { Collection } from "../core/collection.ts";

export type PromptCreateParams = z.input<typeof SavedPromptRequest>;

/**
 * `client.agent.prompts`: saved prompts, started with `runs.create({ saved_prompt: uid or name })`.
 * Members write them; `update` replaces the whole body.
 *
 * @example
 * const created = await client.agent.prompts.create({ name: "triage", prompt: "Triage the newest open issues." });
 * await client.agent.prompts.update(created.uid, { name: "triage", prompt: "Triage and label the newest issues." });
 */
export class Prompts extends Collection<SavedPrompt, PromptCreateParams> {
  protected readonly basePath = "/agent/prompts";

  /**
   * @example
   * const { prompts } = await client.agent.prompts.list();
   */
  list(options?: RequestOptions) {
    return this.listAt<{ prompts: SavedPrompt[] }>(undefined, options);
  }
}
