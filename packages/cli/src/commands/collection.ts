import type { Ambit } from "@ambit/sdk";
import type { Command, OptionSpec, Values } from "../command.ts";
import { type Io, printJson, table } from "../output.ts";

/*
 * The `list`, `get` and `delete` commands of the team's shared configuration: the same arguments,
 * `--json` output and messages for every resource; each names its words, columns and text.
 * Create and update, where the resources differ, are written in their own files (with `reply`).
 */

/** What a command prints: the API's JSON with `--json`, else `text`; exit 0. */
export function reply(io: Io, json: boolean, value: unknown, text: () => string): number {
  if (json) printJson(io, value);
  else io.out.write(text());
  return 0;
}

/** `ambit <noun> list`: `--json` prints `{key: [...]}`, else a table or how to add the first one. */
export function listCommand<Item>(spec: {
  path: string[];
  summary: string;
  options?: Record<string, OptionSpec>;
  examples: string[];
  key: string;
  fetch: (api: Ambit, values: Values, cmd: string) => PromiseLike<Item[]>;
  /** What to print when there is none, with how to add one. */
  empty: string;
  columns: string[];
  row: (item: Item) => string[];
}): Command {
  const { key, fetch, empty, columns, row, ...command } = spec;
  return {
    ...command,
    async run({ values, client, io, json }) {
      const items = await fetch(client(), values, `ambit ${spec.path.join(" ")}`);
      if (json) return (printJson(io, { [key]: items }), 0);
      io.out.write(items.length ? table(columns, items.map(row)) : `${empty}\n`);
      return 0;
    },
  };
}

/** `ambit <noun> get <uid>`: the API's JSON, or `show`'s text. */
export function getCommand<Item>(spec: {
  path: string[];
  summary: string;
  examples: string[];
  retrieve: (api: Ambit, uid: string) => PromiseLike<Item>;
  show: (item: Item) => string;
}): Command {
  const { retrieve, show, ...command } = spec;
  return {
    ...command,
    args: "<uid>",
    minArgs: 1,
    async run({ positionals, client, io, json }) {
      const item = await retrieve(client(), positionals[0]);
      return reply(io, json, item, () => show(item));
    },
  };
}

/**
 * `ambit <noun> delete|remove <key>`: `--json` prints `{<key>: …, removed: true}` for `remove`,
 * `deleted: true` for any other verb; else "Deleted <title> <key>" (or `said`).
 */
export function removeCommand(spec: {
  path: string[];
  summary: string;
  examples: string[];
  /** How the argument is named: `uid` (the default), `id` or `name`. */
  key?: "uid" | "id" | "name";
  args?: string;
  title: string;
  said?: (id: string) => string;
  remove: (api: Ambit, id: string) => PromiseLike<unknown>;
}): Command {
  const { key = "uid", args = `<${key}>`, title, said, remove, ...command } = spec;
  const done = spec.path[1] === "remove" ? "removed" : "deleted";
  return {
    ...command,
    args,
    minArgs: 1,
    async run({ positionals, client, io, json }) {
      const id = positionals[0];
      await remove(client(), id);
      const text = said ? said(id) : `${done[0].toUpperCase()}${done.slice(1)} ${title} ${id}`;
      return reply(io, json, { [key]: id, [done]: true }, () => `${text}\n`);
    },
  };
}
