import type { Ambit } from "@ambit/sdk";
import type { Command, OptionSpec, Values } from "../command.ts";
import { type Io, printJson, table } from "../output.ts";

/** What a command prints: the API's JSON with `--json`, else `text`; exit 0. */
export function reply(io: Io, json: boolean, value: unknown, text: () => string): number {
  if (json) printJson(io, value);
  else io.out.write(text());
  return 0;
}

type Listing<Item> = {
  summary: string;
  examples: string[];
  options?: Record<string, OptionSpec>;
  /** The answer's key (`--json` prints `{key: [...]}`) and its items. */
  key: string;
  fetch: (api: Ambit, values: Values, cmd: string) => PromiseLike<Item[]>;
  /** What to print when there is none, with how to add one. */
  empty: string;
  columns: string[];
  row: (item: Item) => string[];
};

/**
 * `ambit <noun> list|get|delete` of a team collection: the same arguments, `--json` output and
 * messages for every resource; each names its words, columns and text. Create and update, where
 * the resources differ, are written in their own files (with `reply`).
 */
export function collectionCommands<Item>(spec: {
  /** The command's noun (`prompt`) and how messages name one (`saved prompt`). */
  noun: string;
  title: string;
  list: Listing<Item>;
  get: { summary: string; examples: string[]; retrieve: (api: Ambit, uid: string) => PromiseLike<Item>; show: (item: Item) => string };
  remove: { verb: "delete" | "remove"; summary: string; examples: string[]; remove: (api: Ambit, uid: string) => PromiseLike<unknown> };
}): { list: Command; get: Command; remove: Command } {
  const { noun, title, list, get, remove } = spec;
  const done = remove.verb === "delete" ? "deleted" : "removed";
  return {
    list: {
      path: [noun, "list"],
      summary: list.summary,
      ...(list.options ? { options: list.options } : {}),
      examples: list.examples,
      async run({ values, client, io, json }) {
        const items = await list.fetch(client(), values, `ambit ${noun} list`);
        if (json) return printJson(io, { [list.key]: items }), 0;
        io.out.write(items.length ? table(list.columns, items.map(list.row)) : `${list.empty}\n`);
        return 0;
      },
    },
    get: {
      path: [noun, "get"],
      summary: get.summary,
      args: "<uid>",
      minArgs: 1,
      examples: get.examples,
      async run({ positionals, client, io, json }) {
        const item = await get.retrieve(client(), positionals[0]);
        return reply(io, json, item, () => get.show(item));
      },
    },
    remove: {
      path: [noun, remove.verb],
      summary: remove.summary,
      args: "<uid>",
      minArgs: 1,
      examples: remove.examples,
      async run({ positionals, client, io, json }) {
        await remove.remove(client(), positionals[0]);
        const text = `${done[0].toUpperCase()}${done.slice(1)} ${title} ${positionals[0]}\n`;
        return reply(io, json, { uid: positionals[0], [done]: true }, () => text);
      },
    },
  };
}
