import type { Secret, SecretType } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { isAdmin, opt, type Resource, str } from "../resource.ts";

// every type the API knows, checked by the compiler (a missing or unknown one does not build)
const TYPES = Object.keys({
  raw_value: 1,
  anthropic_api_key: 1,
  openai_api_key: 1,
  anthropic_bedrock_access_key: 1,
  anthropic_bedrock_api_key: 1,
  dotenvx: 1,
} satisfies Record<SecretType, 1>);
const scopeOf = (s: Secret) => (s.scope.type === "Team" ? "team" : "personal");

export const secrets: Resource<Secret> = {
  slug: "secrets",
  title: "Secrets",
  noun: "secret",
  help:
    "Values runs receive as environment variables. Write-only: nobody reads a value back. " +
    "Admins write team secrets; members their personal ones (only runs they start get those).",
  writeRole: "member",
  canWriteItem: (s, role) => scopeOf(s) === "personal" || isAdmin(role),
  fields: [
    { name: "name", label: "Name", kind: "text", required: true, createOnly: true },
    {
      name: "scope",
      label: "Scope",
      kind: "select",
      createOnly: true,
      options: (role) => (isAdmin(role) ? ["team", "personal"] : ["personal"]),
    },
    { name: "type", label: "Type", kind: "select", options: TYPES },
    { name: "value", label: "Value", kind: "secret", required: true, help: "Write-only." },
    { name: "description", label: "Description", kind: "text" },
  ],
  columns: [
    { label: "Name", value: (s) => s.name },
    { label: "Scope", value: scopeOf },
    { label: "Type", value: (s) => s.type },
    { label: "Description", value: (s) => s.description ?? "" },
  ],
  list: async () => (await client.agent.secrets.list()).secrets,
  key: (s) => `${scopeOf(s)}:${s.name}`,
  toForm: (s) => ({
    name: s.name,
    scope: scopeOf(s),
    type: s.type,
    description: s.description ?? "",
  }),
  create: (v) =>
    client.agent.secrets.create({
      name: str(v, "name"),
      value: str(v, "value"),
      scope: str(v, "scope") === "personal" ? "personal" : "team",
      type: str(v, "type") as SecretType,
      description: opt(v, "description"),
    }),
  // an empty value leaves it as it is
  update: (s, v) =>
    client.agent.secrets.update(
      s.name,
      {
        value: opt(v, "value"),
        type: str(v, "type") as SecretType,
        description: str(v, "description") || null,
      },
      { scope: scopeOf(s) },
    ),
  delete: (s) => client.agent.secrets.delete(s.name, { scope: scopeOf(s) }),
};
