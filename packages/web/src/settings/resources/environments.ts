import type { CloudEnvironment } from "@ambit/protocol";
import { client } from "../../lib/api.ts";
import { list, map, type Resource, str, type Values } from "../resource.ts";

/** `url` or `url ref` a line. */
const repositories = (v: Values) =>
  list(v, "repositories").map((line) => {
    const [url = "", ref] = line.split(/\s+/);
    return ref ? { url, ref } : { url };
  });

const body = (v: Values) => ({
  name: str(v, "name"),
  description: str(v, "description") || null,
  docker_image: str(v, "docker_image") || null,
  repositories: repositories(v),
  setup_commands: list(v, "setup_commands"),
  env_vars: map(v, "env_vars"),
  secrets: list(v, "secrets").map((name) => ({ name })),
  worker_host: str(v, "worker_host") || null,
});

export const environments: Resource<CloudEnvironment> = {
  slug: "environments",
  title: "Environments",
  noun: "environment",
  help:
    "Where runs happen: image, repositories, setup commands, variables and the " +
    "secrets they need. Members write them.",
  writeRole: "member",
  fields: [
    { name: "name", label: "Name", kind: "text", required: true },
    { name: "description", label: "Description", kind: "text" },
    { name: "docker_image", label: "Docker image", kind: "text" },
    {
      name: "repositories",
      label: "Repositories",
      kind: "list",
      help: "A git URL or owner/repo, optionally a space and a branch, tag or commit.",
    },
    { name: "setup_commands", label: "Setup commands", kind: "list" },
    { name: "env_vars", label: "Environment variables", kind: "map" },
    { name: "secrets", label: "Default secrets", kind: "refs", from: "secrets" },
    { name: "worker_host", label: "Host pool", kind: "ref", from: "pools", none: "Platform pool" },
  ],
  columns: [
    { label: "Name", value: (e) => e.config.name },
    { label: "Image", value: (e) => e.config.docker_image ?? "" },
    {
      label: "Repositories",
      value: (e) => (e.config.repositories ?? []).map((r) => r.url).join(", "),
    },
    { label: "Last edited by", value: (e) => e.last_editor?.display_name ?? "" },
  ],
  list: async () => (await client.agent.environments.list({ sort_by: "name" })).environments,
  key: (e) => e.uid,
  toForm: ({ config: c }) => ({
    name: c.name,
    description: c.description ?? "",
    docker_image: c.docker_image ?? "",
    repositories: (c.repositories ?? []).map((r) => (r.ref ? `${r.url} ${r.ref}` : r.url)),
    setup_commands: c.setup_commands ?? [],
    env_vars: c.env_vars ?? {},
    secrets: (c.secrets ?? []).map((s) => s.name),
    worker_host: c.worker_host ?? "",
  }),
  create: (v) => client.agent.environments.create(body(v)),
  update: (e, v) => client.agent.environments.update(e.uid, body(v)),
  delete: (e) => client.agent.environments.delete(e.uid),
};
