import { type Command, str, UsageError, type Values } from "../command.ts";
import { textOrFile } from "../input.ts";
import { clip } from "../output.ts";
import { getCommand, listCommand, removeCommand, reply } from "./collection.ts";

/** The rule's text from --content or --file (one of them at most). */
const contentOf = (values: Values, cmd: string) => textOrFile(values, "content", "--content", cmd);

const contentOptions = {
  content: { type: "string", value: "<text>", description: "the instructions" },
  file: {
    type: "string",
    value: "<path>",
    description: "read the instructions from this file (e.g. a Markdown file)",
  },
} as const;

export const ruleList = listCommand({
  path: ["rule", "list"],
  summary: "List the team's rules (instructions every run receives)",
  examples: ["ambit rule list", "ambit rule list --json"],
  key: "rules",
  fetch: async (api) => (await api.agent.rules.list()).rules,
  empty: "No rules. Add one: ambit rule create <name> --file RULES.md",
  columns: ["UID", "NAME", "ENABLED", "CONTENT"],
  row: (r) => [r.uid, r.name, r.enabled ? "yes" : "no", clip(r.content, 60)],
});

export const ruleGet = getCommand({
  path: ["rule", "get"],
  summary: "Show one rule",
  examples: ["ambit rule get $RULE", "ambit rule get $RULE --json | jq -r .content"],
  retrieve: (api, uid) => api.agent.rules.retrieve(uid),
  show: (r) => `Rule:    ${r.name} (${r.uid})${r.enabled ? "" : " — disabled"}\n\n${r.content}\n`,
});

export const ruleDelete = removeCommand({
  path: ["rule", "delete"],
  title: "rule",
  summary: "Delete a rule (admins)",
  examples: ["ambit rule delete $RULE"],
  remove: (api, uid) => api.agent.rules.delete(uid),
});

export const ruleCreate: Command = {
  path: ["rule", "create"],
  summary: "Add a team rule (admins); every later run receives it",
  args: "<name>",
  minArgs: 1,
  options: {
    ...contentOptions,
    disabled: { type: "boolean", description: "store it without applying it yet" },
  },
  examples: [
    'ambit rule create tests --content "Run the tests before you commit."',
    "ambit rule create style --file docs/STYLE.md",
  ],
  async run({ positionals, values, client, io, json }) {
    const content = contentOf(values, "ambit rule create");
    if (!content)
      throw new UsageError("a rule needs --content <text> or --file <path>", "ambit rule create");
    const r = await client().agent.rules.create({
      name: positionals[0],
      content,
      enabled: !values.disabled,
    });
    return reply(
      io,
      json,
      r,
      () => `Created rule ${r.name} (${r.uid})${r.enabled ? "" : ", disabled"}\n`,
    );
  },
};

export const ruleUpdate: Command = {
  path: ["rule", "update"],
  summary: "Change a rule (admins); only what you name changes",
  args: "<uid>",
  minArgs: 1,
  options: {
    ...contentOptions,
    name: { type: "string", short: "n", value: "<name>", description: "rename it" },
    enable: { type: "boolean", description: "apply it to runs" },
    disable: { type: "boolean", description: "stop applying it (it stays stored)" },
  },
  examples: ["ambit rule update $RULE --disable", "ambit rule update $RULE --file docs/STYLE.md"],
  async run({ positionals, values, client, io, json }) {
    const cmd = "ambit rule update";
    if (values.enable && values.disable)
      throw new UsageError("choose --enable or --disable, not both", cmd);
    const content = contentOf(values, cmd);
    const api = client();
    const current = await api.agent.rules.retrieve(positionals[0]);
    const r = await api.agent.rules.update(positionals[0], {
      name: str(values.name) ?? current.name,
      content: content ?? current.content,
      enabled: values.enable ? true : values.disable ? false : current.enabled,
    });
    return reply(
      io,
      json,
      r,
      () => `Updated rule ${r.name} (${r.uid})${r.enabled ? "" : ", disabled"}\n`,
    );
  },
};
