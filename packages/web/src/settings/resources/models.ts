import type { ModelInfo } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { opt, type Resource, str, type Values } from "../resource.ts";

const body = (v: Values) => ({
  display_name: opt(v, "display_name"),
  provider: str(v, "provider") === "anthropic" ? ("anthropic" as const) : ("openai" as const),
  model: str(v, "model"),
  base_url: str(v, "base_url") || null,
  api_key_secret: str(v, "api_key_secret") || null,
  vision_supported: v.vision_supported === true,
  description: opt(v, "description"),
  default: v.default === true || undefined,
});

export const models: Resource<ModelInfo> = {
  slug: "models",
  title: "Models",
  noun: "model",
  help:
    "The team's model catalog: which API, where, and the secret holding its key. A " +
    "run names one by id; one is the default. Admins write it.",
  writeRole: "admin",
  fields: [
    { name: "id", label: "Id", kind: "text", required: true, createOnly: true },
    { name: "display_name", label: "Display name", kind: "text" },
    { name: "provider", label: "API", kind: "select", options: ["openai", "anthropic"] },
    { name: "model", label: "Model name at the provider", kind: "text", required: true },
    { name: "base_url", label: "Base URL", kind: "text" },
    { name: "api_key_secret", label: "API key secret", kind: "ref", from: "secrets" },
    { name: "description", label: "Description", kind: "text" },
    { name: "vision_supported", label: "Takes images", kind: "checkbox" },
    { name: "default", label: "The team's default", kind: "checkbox" },
  ],
  columns: [
    { label: "Id", value: (m) => m.id },
    { label: "API", value: (m) => m.api },
    { label: "Model", value: (m) => m.model },
    { label: "Default", value: (m) => (m.is_default ? "yes" : "") },
  ],
  list: async () => (await client.agent.models.list()).models,
  key: (m) => m.id,
  toForm: (m) => ({
    id: m.id,
    display_name: m.display_name,
    provider: m.api,
    model: m.model,
    base_url: m.base_url ?? "",
    api_key_secret: m.api_key_secret ?? "",
    description: m.description ?? "",
    vision_supported: m.vision_supported,
    default: m.is_default,
  }),
  create: (v) => client.agent.models.create({ id: str(v, "id"), ...body(v) }),
  update: (m, v) => client.agent.models.update(m.id, body(v)),
  delete: (m) => client.agent.models.delete(m.id),
};
