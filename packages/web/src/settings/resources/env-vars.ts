import type { EnvVar } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { type Resource, str, type Values } from "../resource.ts";

const body = (v: Values) => ({
  value: str(v, "value"),
  description: str(v, "description") || null,
});

export const envVars: Resource<EnvVar> = {
  slug: "env-vars",
  title: "Env vars",
  noun: "variable",
  help:
    "Environment variables every run of the team receives. Not secret: values are " +
    "shown. Admins write them.",
  writeRole: "admin",
  fields: [
    { name: "name", label: "Name", kind: "text", required: true, createOnly: true },
    { name: "value", label: "Value", kind: "text" },
    { name: "description", label: "Description", kind: "text" },
  ],
  columns: [
    { label: "Name", value: (e) => e.name },
    { label: "Value", value: (e) => e.value },
    { label: "Description", value: (e) => e.description ?? "" },
  ],
  list: async () => (await client.agent.envVars.list()).env_vars,
  key: (e) => e.name,
  toForm: (e) => ({ name: e.name, value: e.value, description: e.description ?? "" }),
  // PUT sets a name whether or not it exists; creating over an existing name would replace it
  create: async (v) => {
    const name = str(v, "name");
    const { env_vars } = await client.agent.envVars.list();
    if (env_vars.some((e) => e.name === name))
      throw new Error(`A variable named ${name} exists already; edit it instead.`);
    return client.agent.envVars.set(name, body(v));
  },
  update: (e, v) => client.agent.envVars.set(e.name, body(v)),
  delete: (e) => client.agent.envVars.delete(e.name),
};
