import type { SavedPrompt, SavedPromptRequest } from "@ambit/protocol";
import { savedPrompts } from "../../db/schema.ts";
import { iso } from "../../lib/time.ts";
import { configCollection } from "./collection.ts";
import type { PromptRow } from "./team-config.ts";

const toPrompt = (r: PromptRow): SavedPrompt => ({
  uid: r.id,
  name: r.name,
  prompt: r.prompt,
  description: r.description,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

/** Saved prompts: members write them; a run starts from one by uid or name. */
export const {
  list: listPrompts,
  get: getPrompt,
  create: createPrompt,
  update: updatePrompt,
  remove: deletePrompt,
} = configCollection<PromptRow, SavedPrompt, SavedPromptRequest>({
  table: savedPrompts,
  noun: "Saved prompt",
  uniqueName: "a saved prompt",
  cached: (c) => c.prompts,
  toItem: toPrompt,
  authorize: "member",
  actions: {
    create: "Saving prompts",
    update: "Changing saved prompts",
    remove: "Deleting saved prompts",
  },
  fields: (input) => ({
    name: input.name,
    prompt: input.prompt,
    description: input.description ?? null,
  }),
});
