import { type Ambit, ConflictError, type ModelInfo, type ModelUpdateParams } from "@ambit/sdk";
import { CliError, type Command, str, UsageError, type Values } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, table } from "../output.ts";
import { removeCommand } from "./collection.ts";

const PROVIDERS = ["openai", "anthropic"];
const fieldOptions = {
  provider: {
    type: "string",
    value: "<api>",
    description:
      "openai (any OpenAI-compatible chat-completions server) or anthropic (the Messages API)",
  },
  model: {
    type: "string",
    short: "m",
    value: "<name>",
    description: "the model name sent to the provider",
  },
  "base-url": {
    type: "string",
    value: "<url>",
    description: "the provider's address (default: the provider's own API)",
  },
  "api-key-secret": {
    type: "string",
    value: "<NAME>",
    description: "the secret holding the API key (see ambit secret set)",
  },
  "display-name": { type: "string", value: "<text>", description: "the name people see" },
  description: { type: "string", value: "<text>", description: "what it is good for" },
  "reasoning-level": { type: "string", value: "<level>", description: "e.g. low, medium, high" },
  vision: { type: "boolean", description: "it accepts images" },
  "no-vision": { type: "boolean", description: "it does not accept images" },
  default: { type: "boolean", description: "make it the team's default model" },
} as const;

/** The catalog entry as an update body, so an update changes only what the flags name. */
const asBody = (m: ModelInfo): ModelUpdateParams => ({
  display_name: m.display_name,
  provider: m.api,
  model: m.model,
  base_url: m.base_url,
  api_key_secret: m.api_key_secret,
  vision_supported: m.vision_supported,
  ...(m.description ? { description: m.description } : {}),
  ...(m.reasoning_level ? { reasoning_level: m.reasoning_level } : {}),
  default: m.is_default,
});

function fromFlags(values: Values, cmd: string): Partial<ModelUpdateParams> {
  const provider = str(values.provider);
  if (provider !== undefined && !PROVIDERS.includes(provider))
    throw new UsageError(`--provider must be ${PROVIDERS.join(" or ")}`, cmd);
  if (values.vision && values["no-vision"])
    throw new UsageError("choose --vision or --no-vision, not both", cmd);
  const set = <K extends string>(key: K, flag: string) =>
    str(values[flag]) !== undefined ? { [key]: str(values[flag]) } : {};
  return {
    ...(provider ? { provider: provider as ModelUpdateParams["provider"] } : {}),
    ...set("model", "model"),
    ...set("base_url", "base-url"),
    ...set("api_key_secret", "api-key-secret"),
    ...set("display_name", "display-name"),
    ...set("description", "description"),
    ...set("reasoning_level", "reasoning-level"),
    ...(values.vision
      ? { vision_supported: true }
      : values["no-vision"]
        ? { vision_supported: false }
        : {}),
    ...(values.default ? { default: true } : {}),
  };
}

async function findModel(api: Ambit, id: string): Promise<ModelInfo> {
  const { models } = await api.agent.models.list();
  const found = models.find((m) => m.id === id);
  if (!found)
    throw new CliError(
      `the catalog has no model '${id}'`,
      EXIT.NOT_FOUND,
      `see the catalog with \`ambit model list\`, or add it with \`ambit model add ${id} --provider openai --model <name>\``,
    );
  return found;
}

export const modelList: Command = {
  path: ["model", "list"],
  summary: "List the team's model catalog and its default",
  examples: ["ambit model list", "ambit model list --json | jq -r .default_model_id"],
  async run({ client, io, json }) {
    const list = await client().agent.models.list();
    if (json) return (printJson(io, list), 0);
    if (!list.models.length)
      return (
        io.out.write(
          "The catalog is empty. Add a model: ambit model add <id> --provider openai --model <name>\n",
        ),
        0
      );
    io.out.write(
      table(
        ["ID", "API", "MODEL", "BASE URL", "KEY SECRET", "DEFAULT"],
        list.models.map((m) => [
          m.id,
          m.api,
          m.model,
          m.base_url ?? "-",
          m.api_key_secret ?? "-",
          m.is_default ? "yes" : "",
        ]),
      ),
    );
    return 0;
  },
};

export const modelAdd: Command = {
  path: ["model", "add"],
  summary: "Add a model to the catalog (admins); runs pick it with --model <id>",
  args: "<id>",
  minArgs: 1,
  options: fieldOptions,
  examples: [
    "ambit model add gpt-5 --provider openai --model gpt-5 --api-key-secret OPENAI_API_KEY --default",
    "ambit model add local --provider openai --model qwen3 --base-url http://localhost:8080/v1",
    "ambit model add sonnet --provider anthropic --model claude-sonnet-4-5 --api-key-secret ANTHROPIC_API_KEY --vision",
  ],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit model add";
    const fields = fromFlags(values, cmd);
    if (!fields.provider || !fields.model)
      throw new UsageError("a model needs --provider <openai|anthropic> and --model <name>", cmd);
    const model = await client()
      .agent.models.create({ id: positionals[0], ...fields } as never)
      .catch((err) => {
        if (err instanceof ConflictError)
          throw new CliError(
            `the catalog already has a model '${positionals[0]}'`,
            EXIT.ERROR,
            `change it with \`ambit model update ${positionals[0]} …\`, or remove it first`,
          );
        throw err;
      });
    if (json) return (printJson(io, model), 0);
    io.out.write(
      `Added model ${model.id} (${model.api} ${model.model})${model.is_default ? ", the team's default" : ""}. Use it: ambit agent run --model ${model.id} -p "…"\n`,
    );
    return 0;
  },
};

export const modelUpdate: Command = {
  path: ["model", "update"],
  summary: "Change a catalog entry (admins); only the fields you name change",
  args: "<id>",
  minArgs: 1,
  options: fieldOptions,
  examples: [
    "ambit model update local --model qwen3-32b",
    "ambit model update gpt-5 --api-key-secret TEAM_OPENAI_KEY",
  ],
  async run({ positionals, values, client, io, json }) {
    const fields = fromFlags(values, "ambit model update");
    const api = client();
    const model = await api.agent.models.update(positionals[0], {
      ...asBody(await findModel(api, positionals[0])),
      ...fields,
    });
    if (json) return (printJson(io, model), 0);
    io.out.write(`Updated model ${model.id} (${model.api} ${model.model})\n`);
    return 0;
  },
};

export const modelDefault: Command = {
  path: ["model", "default"],
  summary: "Make a catalog model the team's default (admins): runs that name no model use it",
  args: "<id>",
  minArgs: 1,
  examples: ["ambit model default gpt-5"],
  async run({ positionals, client, io, json }) {
    const api = client();
    const model = await api.agent.models.update(positionals[0], {
      ...asBody(await findModel(api, positionals[0])),
      default: true,
    });
    if (json) return (printJson(io, model), 0);
    io.out.write(`${model.id} is now the team's default model\n`);
    return 0;
  },
};

export const modelRemove = removeCommand({
  path: ["model", "remove"],
  summary: "Remove a model from the catalog (admins)",
  key: "id",
  examples: ["ambit model remove local"],
  title: "model",
  remove: (api, id) => api.agent.models.delete(id),
});
