import { type Command, str } from "../command.ts";
import { clip, printJson, table } from "../output.ts";

export const envVarList: Command = {
  path: ["env-var", "list"],
  summary: "List the team's environment variables (every run receives them; not secret)",
  examples: ["ambit env-var list", "ambit env-var list --json"],
  async run({ client, io, json }) {
    const { env_vars } = await client().agent.envVars.list();
    if (json) return printJson(io, { env_vars }), 0;
    if (!env_vars.length) return io.out.write("No environment variables. Set one: ambit env-var set NAME value\n"), 0;
    io.out.write(table(["NAME", "VALUE", "DESCRIPTION"], env_vars.map((v) => [v.name, clip(v.value, 50), v.description ?? ""])));
    return 0;
  },
};

export const envVarSet: Command = {
  path: ["env-var", "set"],
  summary: "Set a team environment variable (admins); for anything sensitive use `ambit secret set`",
  args: "<NAME> <value>",
  minArgs: 2,
  options: { description: { type: "string", value: "<text>", description: "what it is for" } },
  examples: ["ambit env-var set NODE_ENV test", "ambit env-var set REGISTRY https://npm.example.com --description 'internal registry'"],
  async run({ positionals, values, client, io, json }) {
    const v = await client().agent.envVars.set(positionals[0], { value: positionals[1], ...(str(values.description) !== undefined ? { description: str(values.description) } : {}) });
    if (json) return printJson(io, v), 0;
    io.out.write(`${v.name}=${v.value}\n`);
    return 0;
  },
};

export const envVarUnset: Command = {
  path: ["env-var", "unset"],
  summary: "Remove a team environment variable (admins)",
  args: "<NAME>",
  minArgs: 1,
  examples: ["ambit env-var unset NODE_ENV"],
  async run({ positionals, client, io, json }) {
    await client().agent.envVars.delete(positionals[0]);
    if (json) printJson(io, { name: positionals[0], deleted: true });
    else io.out.write(`Unset ${positionals[0]}\n`);
    return 0;
  },
};
