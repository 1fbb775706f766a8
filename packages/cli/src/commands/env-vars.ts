import { type Command, str } from "../command.ts";
import { clip, printJson } from "../output.ts";
import { listCommand, removeCommand } from "./collection.ts";

export const envVarList = listCommand({
  path: ["env-var", "list"],
  summary: "List the team's environment variables (every run receives them; not secret)",
  examples: ["ambit env-var list", "ambit env-var list --json"],
  key: "env_vars",
  fetch: async (api) => (await api.agent.envVars.list()).env_vars,
  empty: "No environment variables. Set one: ambit env-var set NAME value",
  columns: ["NAME", "VALUE", "DESCRIPTION"],
  row: (v) => [v.name, clip(v.value, 50), v.description ?? ""],
});

export const envVarSet: Command = {
  path: ["env-var", "set"],
  summary:
    "Set a team environment variable (admins); for anything sensitive use `ambit secret set`",
  args: "<NAME> <value>",
  minArgs: 2,
  options: { description: { type: "string", value: "<text>", description: "what it is for" } },
  examples: [
    "ambit env-var set NODE_ENV test",
    "ambit env-var set REGISTRY https://npm.example.com --description 'internal registry'",
  ],
  async run({ positionals, values, client, io, json }) {
    const v = await client().agent.envVars.set(positionals[0], {
      value: positionals[1],
      ...(str(values.description) !== undefined ? { description: str(values.description) } : {}),
    });
    if (json) return (printJson(io, v), 0);
    io.out.write(`${v.name}=${v.value}\n`);
    return 0;
  },
};

export const envVarUnset = removeCommand({
  path: ["env-var", "unset"],
  summary: "Remove a team environment variable (admins)",
  key: "name",
  args: "<NAME>",
  examples: ["ambit env-var unset NODE_ENV"],
  title: "environment variable",
  said: (name) => `Unset ${name}`,
  remove: (api, name) => api.agent.envVars.delete(name),
});
