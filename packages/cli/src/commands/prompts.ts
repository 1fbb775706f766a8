import { type Command, str, UsageError, type Values } from "../command.ts";
import { textOrFile } from "../input.ts";
import { clip } from "../output.ts";
import { getCommand, listCommand, removeCommand, reply } from "./collection.ts";

const promptOf = (values: Values, cmd: string) => textOrFile(values, "prompt", "-p/--prompt", cmd);

const fieldOptions = {
  prompt: { type: "string", short: "p", value: "<text>", description: "the prompt" },
  file: { type: "string", value: "<path>", description: "read the prompt from this file" },
  description: { type: "string", value: "<text>", description: "what it is for" },
} as const;

export const promptList = listCommand({
  path: ["prompt", "list"],
  summary: "List the team's saved prompts",
  examples: ["ambit prompt list", "ambit prompt list --json"],
  key: "prompts",
  fetch: async (api) => (await api.agent.prompts.list()).prompts,
  empty: 'No saved prompts. Save one: ambit prompt create <name> -p "…"',
  columns: ["UID", "NAME", "PROMPT"],
  row: (p) => [p.uid, p.name, clip(p.prompt, 60)],
});

export const promptGet = getCommand({
  path: ["prompt", "get"],
  summary: "Show one saved prompt",
  examples: ["ambit prompt get $PROMPT", "ambit prompt get $PROMPT --json | jq -r .prompt"],
  retrieve: (api, uid) => api.agent.prompts.retrieve(uid),
  show: (p) =>
    `Prompt:  ${p.name} (${p.uid})\n${p.description ? `About:   ${p.description}\n` : ""}\n${p.prompt}\n`,
});

export const promptDelete = removeCommand({
  path: ["prompt", "delete"],
  title: "saved prompt",
  summary: "Delete a saved prompt (members)",
  examples: ["ambit prompt delete $PROMPT"],
  remove: (api, uid) => api.agent.prompts.delete(uid),
});

export const promptCreate: Command = {
  path: ["prompt", "create"],
  summary:
    "Save a prompt (members); start a run from it with `ambit agent run --saved-prompt <name>`",
  args: "<name>",
  minArgs: 1,
  options: fieldOptions,
  examples: [
    'ambit prompt create triage -p "Triage the newest open issues and label them."',
    "ambit prompt create release --file prompts/release.md --description 'cut a release'",
  ],
  async run({ positionals, values, client, io, json }) {
    const prompt = promptOf(values, "ambit prompt create");
    if (!prompt)
      throw new UsageError(
        "a saved prompt needs -p <text> or --file <path>",
        "ambit prompt create",
      );
    const p = await client().agent.prompts.create({
      name: positionals[0],
      prompt,
      ...(str(values.description) !== undefined ? { description: str(values.description) } : {}),
    });
    return reply(
      io,
      json,
      p,
      () => `Saved prompt ${p.name} (${p.uid}). Run it: ambit agent run --saved-prompt ${p.name}\n`,
    );
  },
};

export const promptUpdate: Command = {
  path: ["prompt", "update"],
  summary: "Change a saved prompt (members); only what you name changes",
  args: "<uid>",
  minArgs: 1,
  options: {
    ...fieldOptions,
    name: { type: "string", short: "n", value: "<name>", description: "rename it" },
  },
  examples: [
    'ambit prompt update $PROMPT -p "Triage and assign the newest issues."',
    "ambit prompt update $PROMPT --name triage-v2",
  ],
  async run({ positionals, values, client, io, json }) {
    const prompt = promptOf(values, "ambit prompt update");
    const api = client();
    const current = await api.agent.prompts.retrieve(positionals[0]);
    const p = await api.agent.prompts.update(positionals[0], {
      name: str(values.name) ?? current.name,
      prompt: prompt ?? current.prompt,
      description: str(values.description) ?? current.description,
    });
    return reply(io, json, p, () => `Updated saved prompt ${p.name} (${p.uid})\n`);
  },
};
