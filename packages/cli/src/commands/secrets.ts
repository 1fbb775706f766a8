import {
  ConflictError,
  PermissionDeniedError,
  type SecretScope,
  type SecretType,
} from "@ambit/sdk";
import { CliError, type Command, str, UsageError, type Values } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { readTextFile } from "../input.ts";
import { ago, printJson, table } from "../output.ts";
import { readSecretValue } from "../secret-input.ts";

const TYPES = [
  "raw_value",
  "anthropic_api_key",
  "openai_api_key",
  "anthropic_bedrock_access_key",
  "anthropic_bedrock_api_key",
  "dotenvx",
];
const scopeOptions = {
  personal: {
    type: "boolean",
    description: "your personal secret: only runs you start receive it",
  },
  team: {
    type: "boolean",
    description: "the team's secret: every run of the team receives it (admins; the default)",
  },
} as const;

function scopeOf(values: Values, cmd: string): SecretScope {
  if (values.personal && values.team)
    throw new UsageError("choose --personal or --team, not both", cmd);
  return values.personal ? "personal" : "team";
}

export const secretList: Command = {
  path: ["secret", "list"],
  summary: "List the team's secrets and your personal ones (names only: values are write-only)",
  examples: ["ambit secret list", "ambit secret list --json | jq -r '.secrets[].name'"],
  async run({ client, io, json }) {
    const { secrets } = await client().agent.secrets.list();
    if (json) return (printJson(io, { secrets }), 0);
    if (!secrets.length)
      return (io.out.write("No secrets. Add one: ambit secret set <NAME> < value-file\n"), 0);
    io.out.write(
      table(
        ["NAME", "SCOPE", "TYPE", "UPDATED", "DESCRIPTION"],
        secrets.map((s) => [
          s.name,
          s.scope.type === "Team" ? "team" : "personal",
          s.type,
          ago(s.updated_at),
          s.description ?? "",
        ]),
      ),
    );
    return 0;
  },
};

export const secretSet: Command = {
  path: ["secret", "set"],
  summary:
    "Create or change a secret; the value comes from stdin, a file, or a hidden prompt — never an argument",
  args: "<NAME>",
  minArgs: 1,
  description:
    "The value is read from --from-file, else from stdin when it is piped, else from a hidden prompt on a terminal; one trailing\n" +
    "newline is dropped. It is sent once and never shown again by any command or API. NAME becomes the environment variable\n" +
    "the run receives: letters, digits and '_', not starting with a digit.",
  options: {
    "from-file": {
      type: "string",
      short: "f",
      value: "<path>",
      description: "read the value from this file ('-' for stdin)",
    },
    type: {
      type: "string",
      short: "t",
      value: "<type>",
      description: `${TYPES.join(", ")} (default raw_value)`,
    },
    description: {
      type: "string",
      short: "d",
      value: "<text>",
      description: "what the secret is for",
    },
    ...scopeOptions,
  },
  examples: [
    "ambit secret set GITHUB_TOKEN            # asks for the value (hidden)",
    'printf %s "$OPENAI_API_KEY" | ambit secret set OPENAI_API_KEY --type openai_api_key',
    "ambit secret set DEPLOY_KEY --from-file ~/.ssh/deploy_key --personal -d 'my deploy key'",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit secret set";
    const name = positionals[0];
    const scope = scopeOf(values, cmd);
    const type = str(values.type);
    if (type !== undefined && !TYPES.includes(type))
      throw new UsageError(`--type must be one of ${TYPES.join(", ")}`, cmd);
    const api = client();
    const value = await readSecretValue(io, {
      file: str(values["from-file"]),
      prompt: `Value of ${scope} secret ${name} (hidden): `,
      readFile: (f) => readTextFile(f, "--from-file", cmd),
    });
    if (!value)
      throw new CliError(
        "the secret's value is empty",
        EXIT.USAGE,
        `pipe it in (printf %s "$VALUE" | ${cmd} ${name}), pass --from-file <path>, or type it at the prompt`,
      );
    const description = str(values.description);
    const meta = {
      ...(description !== undefined ? { description } : {}),
      ...(type ? { type: type as SecretType } : {}),
    };
    let created = true;
    const secret = await api.agent.secrets
      .create({ name, value, scope, ...meta })
      .catch(async (err) => {
        if (err instanceof PermissionDeniedError && scope === "team") {
          throw new CliError(
            `${err.detail ?? err.message} (${err.error_code})`,
            EXIT.PERMISSION,
            `only admins write team secrets; keep it to yourself with \`${cmd} ${name} --personal\`, or ask an admin`,
          );
        }
        if (!(err instanceof ConflictError)) throw err;
        created = false;
        return api.agent.secrets.update(name, { value, ...meta }, { scope });
      });
    if (json) return (printJson(io, secret), 0);
    io.out.write(`${created ? "Created" : "Updated"} ${scope} secret ${secret.name}\n`);
    return 0;
  },
};

export const secretDelete: Command = {
  path: ["secret", "delete"],
  summary: "Delete a secret (team: admins; personal: yours)",
  args: "<NAME>",
  minArgs: 1,
  options: { ...scopeOptions },
  examples: ["ambit secret delete GITHUB_TOKEN", "ambit secret delete DEPLOY_KEY --personal"],
  async run({ positionals, values, client, io, json }) {
    const scope = scopeOf(values, "ambit secret delete");
    await client().agent.secrets.delete(positionals[0], { scope });
    if (json) printJson(io, { name: positionals[0], scope, deleted: true });
    else io.out.write(`Deleted ${scope} secret ${positionals[0]}\n`);
    return 0;
  },
};

export const secretRotate: Command = {
  path: ["secret", "rotate-key"],
  summary:
    "Rewrap the team's secrets under the server's current SECRETS_KEY (admins; after the operator rotates it)",
  examples: ["ambit secret rotate-key"],
  async run({ client, io, json }) {
    const r = await client().agent.secrets.rotate();
    if (json) return (printJson(io, r), 0);
    io.out.write(
      r.rewrapped
        ? `Rewrapped the team's data key under key ${r.key_id}\n`
        : `Already wrapped by the current key ${r.key_id}\n`,
    );
    return 0;
  },
};
