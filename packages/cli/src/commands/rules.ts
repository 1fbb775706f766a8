import { type Command, str, UsageError, type Values } from "../command.ts";
import { readTextFile } from "../input.ts";
import { clip, printJson, table } from "../output.ts";

/** The rule's text from --content or --file (one of them at most). */
function contentOf(values: Values, cmd: string): string | undefined {
  if (str(values.content) !== undefined && str(values.file) !== undefined) throw new UsageError("choose --content or --file, not both", cmd);
  return str(values.file) !== undefined ? readTextFile(str(values.file)!, "--file", cmd) : str(values.content);
}

const contentOptions = {
  content: { type: "string", value: "<text>", description: "the instructions" },
  file: { type: "string", value: "<path>", description: "read the instructions from this file (e.g. a Markdown file)" },
} as const;

export const ruleList: Command = {
  path: ["rule", "list"],
  summary: "List the team's rules (instructions every run receives)",
  examples: ["ambit rule list", "ambit rule list --json"],
  async run({ client, io, json }) {
    const { rules } = await client().agent.rules.list();
    if (json) return printJson(io, { rules }), 0;
    if (!rules.length) return io.out.write("No rules. Add one: ambit rule create <name> --file RULES.md\n"), 0;
    io.out.write(table(["UID", "NAME", "ENABLED", "CONTENT"], rules.map((r) => [r.uid, r.name, r.enabled ? "yes" : "no", clip(r.content, 60)])));
    return 0;
  },
};

export const ruleGet: Command = {
  path: ["rule", "get"],
  summary: "Show one rule",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit rule get $RULE", "ambit rule get $RULE --json | jq -r .content"],
  async run({ positionals, client, io, json }) {
    const r = await client().agent.rules.retrieve(positionals[0]);
    if (json) return printJson(io, r), 0;
    io.out.write(`Rule:    ${r.name} (${r.uid})${r.enabled ? "" : " — disabled"}\n\n${r.content}\n`);
    return 0;
  },
};

export const ruleCreate: Command = {
  path: ["rule", "create"],
  summary: "Add a team rule (admins); every later run receives it",
  args: "<name>",
  minArgs: 1,
  options: { ...contentOptions, disabled: { type: "boolean", description: "store it without applying it yet" } },
  examples: ['ambit rule create tests --content "Run the tests before you commit."', "ambit rule create style --file docs/STYLE.md"],
  async run({ positionals, values, client, io, json }) {
    const content = contentOf(values, "ambit rule create");
    if (!content) throw new UsageError("a rule needs --content <text> or --file <path>", "ambit rule create");
    const r = await client().agent.rules.create({ name: positionals[0], content, enabled: !values.disabled });
    if (json) return printJson(io, r), 0;
    io.out.write(`Created rule ${r.name} (${r.uid})${r.enabled ? "" : ", disabled"}\n`);
    return 0;
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
    if (values.enable && values.disable) throw new UsageError("choose --enable or --disable, not both", cmd);
    const content = contentOf(values, cmd);
    const api = client();
    const current = await api.agent.rules.retrieve(positionals[0]);
    const r = await api.agent.rules.update(positionals[0], {
      name: str(values.name) ?? current.name,
      content: content ?? current.content,
      enabled: values.enable ? true : values.disable ? false : current.enabled,
    });
    if (json) return printJson(io, r), 0;
    io.out.write(`Updated rule ${r.name} (${r.uid})${r.enabled ? "" : ", disabled"}\n`);
    return 0;
  },
};

export const ruleDelete: Command = {
  path: ["rule", "delete"],
  summary: "Delete a rule (admins)",
  args: "<uid>",
  minArgs: 1,
  examples: ["ambit rule delete $RULE"],
  async run({ positionals, client, io, json }) {
    await client().agent.rules.delete(positionals[0]);
    if (json) printJson(io, { uid: positionals[0], deleted: true });
    else io.out.write(`Deleted rule ${positionals[0]}\n`);
    return 0;
  },
};
