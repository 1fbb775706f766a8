import type { CloudEnvironment, EnvironmentCreateParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError, type Values } from "../command.ts";
import { keyValues, readJsonFile } from "../input.ts";
import { ago } from "../output.ts";
import { getCommand, listCommand, removeCommand, reply } from "./collection.ts";

const FILE_HELP =
  "--file takes the API's JSON body: {name, description, docker_image, repositories: [{url, ref}], setup_commands: [],\n" +
  "env_vars: {}, secrets: [{name}], worker_host}; flags given with it override its fields.";

const fieldOptions = {
  file: {
    type: "string",
    value: "<path>",
    description: "a JSON file with the environment (the API's body)",
  },
  name: { type: "string", short: "n", value: "<name>", description: "the environment's name" },
  description: {
    type: "string",
    value: "<text>",
    description: "what it is for (at most 240 characters)",
  },
  "docker-image": {
    type: "string",
    short: "d",
    value: "<image>",
    description: "the image runs start from (docker hosts)",
  },
  repo: {
    type: "string",
    short: "r",
    multiple: true,
    value: "<url[#ref]>",
    description:
      "a repository to clone: any git URL, owner/repo for GitHub, or a local path; #ref picks a branch, tag or commit",
  },
  "setup-command": {
    type: "string",
    short: "c",
    multiple: true,
    value: "<cmd>",
    description: "a setup command, run in order",
  },
  env: {
    type: "string",
    multiple: true,
    value: "<KEY=VALUE>",
    description: "an environment variable",
  },
  secret: {
    type: "string",
    multiple: true,
    value: "<NAME>",
    description: "a secret runs in it need (it must exist)",
  },
  host: { type: "string", value: "<worker-id>", description: "the default host for its runs" },
} as const;

const repoOf = (spec: string) => {
  const at = spec.lastIndexOf("#");
  return at > 0 ? { url: spec.slice(0, at), ref: spec.slice(at + 1) } : { url: spec };
};

/** The fields the flags set (only those given). */
function fromFlags(values: Values, cmd: string): Partial<EnvironmentCreateParams> {
  return {
    ...(str(values.name) !== undefined ? { name: str(values.name) } : {}),
    ...(str(values.description) !== undefined ? { description: str(values.description) } : {}),
    ...(str(values["docker-image"]) !== undefined
      ? { docker_image: str(values["docker-image"]) }
      : {}),
    ...(str(values.host) !== undefined ? { worker_host: str(values.host) } : {}),
    ...(strs(values.env).length ? { env_vars: keyValues(strs(values.env), "--env", cmd) } : {}),
  };
}

function summary(e: CloudEnvironment): string {
  const c = e.config;
  const rows: Array<[string, string | undefined]> = [
    ["Environment", `${c.name} (${e.uid})`],
    ["Description", c.description ?? undefined],
    ["Image", c.docker_image ?? undefined],
    ["Host", c.worker_host ?? undefined],
    [
      "Repositories",
      (c.repositories ?? []).map((r) => (r.ref ? `${r.url}#${r.ref}` : r.url)).join(", ") ||
        undefined,
    ],
    ["Setup", (c.setup_commands ?? []).join(" && ") || undefined],
    ["Env vars", Object.keys(c.env_vars ?? {}).join(", ") || undefined],
    ["Secrets", (c.secrets ?? []).map((s) => s.name).join(", ") || undefined],
    ["Updated", e.last_updated],
    [
      "Last run",
      e.last_task_created
        ? `${e.last_task_created.id} ${e.last_task_created.state}${e.setup_failed ? " (setup failed)" : ""}`
        : undefined,
    ],
  ];
  return rows
    .filter(([, v]) => v)
    .map(([k, v]) => `${`${k}:`.padEnd(14)}${v}\n`)
    .join("");
}

export const environmentList = listCommand({
  path: ["environment", "list"],
  summary: "List the team's environments",
  options: {
    "sort-by": { type: "string", value: "<key>", description: "name or last-updated (default)" },
  },
  examples: ["ambit environment list", "ambit environment list --sort-by name --json"],
  key: "environments",
  async fetch(api, values, cmd) {
    const sort = str(values["sort-by"])?.replace("-", "_");
    if (sort !== undefined && sort !== "name" && sort !== "last_updated")
      throw new UsageError("--sort-by must be name or last-updated", cmd);
    return (await api.agent.environments.list(sort ? { sort_by: sort } : {})).environments;
  },
  empty: "No environments. Create one: ambit environment create -n <name> -r owner/repo",
  columns: ["UID", "NAME", "REPOSITORIES", "UPDATED", "LAST RUN"],
  row: (e) => [
    e.uid,
    e.config.name,
    (e.config.repositories ?? []).map((r) => r.url).join(",") || "-",
    ago(e.last_updated),
    e.last_task_created
      ? `${e.last_task_created.state}${e.setup_failed ? " (setup failed)" : ""}`
      : "-",
  ],
});

export const environmentGet = getCommand({
  path: ["environment", "get"],
  summary: "Show one environment",
  examples: ["ambit environment get $ENV", "ambit environment get $ENV --json | jq .config"],
  retrieve: (api, uid) => api.agent.environments.retrieve(uid),
  show: summary,
});

export const environmentDelete = removeCommand({
  path: ["environment", "delete"],
  title: "environment",
  summary: "Delete an environment (members); runs already started keep their copy",
  examples: ["ambit environment delete $ENV"],
  remove: (api, uid) => api.agent.environments.delete(uid),
});

export const environmentCreate: Command = {
  path: ["environment", "create"],
  summary: "Create an environment from flags and/or a JSON file (members)",
  description: FILE_HELP,
  options: fieldOptions,
  examples: [
    "ambit environment create -n api -r acme/api -c 'npm ci' --env NODE_ENV=test --secret NPM_TOKEN",
    "ambit environment create -n monorepo -r https://git.example.com/mono.git#main -d node:22",
    "ambit environment create --file env.json --json | jq -r .uid",
  ],
  async run({ values, client, io, json }) {
    const cmd = "ambit environment create";
    const file = str(values.file) ? readJsonFile(str(values.file)!, cmd) : {};
    const body = {
      ...file,
      ...fromFlags(values, cmd),
      ...(strs(values.repo).length ? { repositories: strs(values.repo).map(repoOf) } : {}),
      ...(strs(values["setup-command"]).length
        ? { setup_commands: strs(values["setup-command"]) }
        : {}),
      ...(strs(values.secret).length
        ? { secrets: strs(values.secret).map((name) => ({ name })) }
        : {}),
    } as EnvironmentCreateParams;
    if (!body.name)
      throw new UsageError('an environment needs a name: -n <name> (or "name" in --file)', cmd);
    const env = await client().agent.environments.create(body);
    return reply(
      io,
      json,
      env,
      () =>
        `Created environment ${env.config.name} (${env.uid}). Use it: ambit agent run -e ${env.uid} -p "…"\n`,
    );
  },
};

export const environmentUpdate: Command = {
  path: ["environment", "update"],
  summary: "Change an environment (members); runs already started keep their copy",
  args: "<uid>",
  minArgs: 1,
  description:
    "Starts from the environment as it is. --file replaces the fields it names; -n, --description, -d, --host set one field;\n" +
    "-r, -c and --secret add to their lists (--remove-repo, --remove-setup-command, --remove-secret take away; --clear-* empty\n" +
    "a list first); --env sets a variable and --unset-env removes one.\n" +
    FILE_HELP,
  options: {
    ...fieldOptions,
    "remove-description": { type: "boolean", description: "clear the description" },
    "remove-repo": {
      type: "string",
      multiple: true,
      value: "<url>",
      description: "stop cloning this repository",
    },
    "remove-setup-command": {
      type: "string",
      multiple: true,
      value: "<cmd>",
      description: "drop this setup command (exact match)",
    },
    "remove-secret": {
      type: "string",
      multiple: true,
      value: "<NAME>",
      description: "drop this secret",
    },
    "unset-env": {
      type: "string",
      multiple: true,
      value: "<KEY>",
      description: "drop this environment variable",
    },
    "clear-repos": { type: "boolean", description: "start from no repositories" },
    "clear-setup-commands": { type: "boolean", description: "start from no setup commands" },
    "clear-secrets": { type: "boolean", description: "start from no secrets" },
  },
  examples: [
    "ambit environment update $ENV -c 'npm run build' --env CI=1",
    "ambit environment update $ENV --remove-repo acme/old -r acme/new#main",
    "ambit environment update $ENV --file env.json",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit environment update";
    const api = client();
    const { config } = await api.agent.environments.retrieve(positionals[0]);
    const { github_repos: _derived, ...current } = config;
    const base = {
      ...current,
      ...(str(values.file) ? readJsonFile(str(values.file)!, cmd) : {}),
    } as EnvironmentCreateParams;
    const removeRepos = new Set(strs(values["remove-repo"]));
    const removeCommands = new Set(strs(values["remove-setup-command"]));
    const removeSecrets = new Set(strs(values["remove-secret"]));
    const env = { ...(base.env_vars ?? {}), ...keyValues(strs(values.env), "--env", cmd) };
    for (const key of strs(values["unset-env"])) delete env[key];
    const body: EnvironmentCreateParams = {
      ...base,
      ...fromFlags(values, cmd),
      ...(values["remove-description"] ? { description: null } : {}),
      repositories: [
        ...(values["clear-repos"]
          ? []
          : (base.repositories ?? []).filter((r) => !removeRepos.has(r.url))),
        ...strs(values.repo).map(repoOf),
      ],
      setup_commands: [
        ...(values["clear-setup-commands"]
          ? []
          : (base.setup_commands ?? []).filter((c) => !removeCommands.has(c))),
        ...strs(values["setup-command"]),
      ],
      secrets: [
        ...(values["clear-secrets"]
          ? []
          : (base.secrets ?? []).filter((s) => !removeSecrets.has(s.name))),
        ...strs(values.secret).map((name) => ({ name })),
      ].filter((s, i, all) => all.findIndex((o) => o.name === s.name) === i),
      env_vars: env,
    };
    const updated = await api.agent.environments.update(positionals[0], body);
    return reply(
      io,
      json,
      updated,
      () => `Updated environment ${updated.config.name} (${updated.uid})\n${summary(updated)}`,
    );
  },
};
