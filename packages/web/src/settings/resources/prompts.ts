import type { SavedPrompt } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { type Resource, str, type Values } from "../resource.ts";

const body = (v: Values) => ({
  name: str(v, "name"),
  prompt: str(v, "prompt"),
  description: str(v, "description") || null,
});

export const prompts: Resource<SavedPrompt> = {
  slug: "prompts",
  title: "Saved prompts",
  noun: "saved prompt",
  help: "Prompts a run can start from by name. Members write them.",
  writeRole: "member",
  fields: [
    { name: "name", label: "Name", kind: "text", required: true },
    { name: "description", label: "Description", kind: "text" },
    { name: "prompt", label: "Prompt", kind: "multiline", required: true },
  ],
  columns: [
    { label: "Name", value: (p) => p.name },
    { label: "Description", value: (p) => p.description ?? "" },
  ],
  list: async () => (await client.agent.prompts.list()).prompts,
  key: (p) => p.uid,
  toForm: (p) => ({ name: p.name, description: p.description ?? "", prompt: p.prompt }),
  create: (v) => client.agent.prompts.create(body(v)),
  update: (p, v) => client.agent.prompts.update(p.uid, body(v)),
  delete: (p) => client.agent.prompts.delete(p.uid),
};
