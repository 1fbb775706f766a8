import type { Rule } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { type Resource, str, type Values } from "../resource.ts";

const body = (v: Values) => ({
  name: str(v, "name"),
  content: str(v, "content"),
  enabled: v.enabled === true,
});

export const rules: Resource<Rule> = {
  slug: "rules",
  title: "Rules",
  noun: "rule",
  help: "Instructions every run of the team receives while enabled. Admins write them.",
  writeRole: "admin",
  fields: [
    { name: "name", label: "Name", kind: "text", required: true },
    { name: "content", label: "Content", kind: "multiline", required: true },
    { name: "enabled", label: "Enabled", kind: "checkbox", initial: true },
  ],
  columns: [
    { label: "Name", value: (r) => r.name },
    { label: "Enabled", value: (r) => (r.enabled ? "yes" : "no") },
  ],
  list: async () => (await client.agent.rules.list()).rules,
  key: (r) => r.uid,
  toForm: (r) => ({ name: r.name, content: r.content, enabled: r.enabled }),
  create: (v) => client.agent.rules.create(body(v)),
  update: (r, v) => client.agent.rules.update(r.uid, body(v)),
  delete: (r) => client.agent.rules.delete(r.uid),
};
