import type { AgentResponse } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { list, type Resource, str, type Values } from "../resource.ts";

// The API's update is partial and "" or [] clears a field, so one body serves both.
const body = (v: Values) => ({
  name: str(v, "name"),
  description: str(v, "description"),
  prompt: str(v, "prompt"),
  base_model: str(v, "base_model"),
  environment_id: str(v, "environment_id"),
  worker_host: str(v, "worker_host") || null,
  skills: list(v, "skills"),
  secrets: list(v, "secrets").map((name) => ({ name })),
});

export const identities: Resource<AgentResponse> = {
  slug: "agents",
  title: "Named agents",
  noun: "named agent",
  help:
    "Team principals with their own run defaults; start a run as one. Admins (people) " +
    "write them; deleting one revokes its API keys.",
  writeRole: "admin",
  fields: [
    { name: "name", label: "Name", kind: "text", required: true },
    { name: "description", label: "Description", kind: "text" },
    { name: "prompt", label: "Base prompt", kind: "multiline" },
    { name: "base_model", label: "Model", kind: "ref", from: "models", none: "Team default" },
    { name: "environment_id", label: "Environment", kind: "ref", from: "environments" },
    { name: "worker_host", label: "Host pool", kind: "ref", from: "pools", none: "Platform pool" },
    { name: "skills", label: "Skills", kind: "refs", from: "skills" },
    { name: "secrets", label: "Secrets", kind: "refs", from: "secrets" },
  ],
  columns: [
    { label: "Name", value: (a) => a.name },
    { label: "Model", value: (a) => a.base_model ?? "" },
    { label: "Description", value: (a) => a.description ?? "" },
  ],
  list: async () => (await client.agent.identities.list()).agents,
  key: (a) => a.uid,
  toForm: (a) => ({
    name: a.name,
    description: a.description ?? "",
    prompt: a.prompt ?? "",
    base_model: a.base_model ?? "",
    environment_id: a.environment_id ?? "",
    worker_host: a.worker_host ?? "",
    skills: a.skills,
    secrets: a.secrets.map((s) => s.name),
  }),
  create: (v) => client.agent.identities.create(body(v)),
  update: (a, v) => client.agent.identities.update(a.uid, body(v)),
  delete: (a) => client.agent.identities.delete(a.uid),
};
