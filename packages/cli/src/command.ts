import { parseArgs, type ParseArgsConfig } from "node:util";
import { Ambit } from "@ambit/sdk";
import { resolveSettings, type Resolved } from "./config.ts";
import type { Io } from "./output.ts";

declare const AMBIT_CLI_VERSION: string;
export const VERSION = typeof AMBIT_CLI_VERSION === "string" ? AMBIT_CLI_VERSION : "0.0.0-dev";

export type OptionSpec = {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help, e.g. `<id>`. */
  value?: string;
  description: string;
};

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** What a command runs with. */
export type CommandContext = {
  values: Values;
  positionals: string[];
  json: boolean;
  io: Io;
  settings: () => Resolved;
  /** The API client from AMBIT_* or the stored config; fails with a hint when there is no key. */
  client: () => Ambit;
};

/** One `ambit <noun> <verb>` command. */
export type Command = {
  path: string[];
  summary: string;
  /** e.g. `<run-id>`; shown after the command in the usage line. */
  args?: string;
  options?: Record<string, OptionSpec>;
  /** Positionals the command needs (counted; the help names them in `args`). */
  minArgs?: number;
  maxArgs?: number;
  description?: string;
  examples: string[];
  run: (ctx: CommandContext) => Promise<number>;
};

/** A mistake on the command line: exit 2 with this message and where to look. */
export class UsageError extends Error {
  readonly helpFor?: string;
  constructor(message: string, helpFor?: string) {
    super(message);
    this.helpFor = helpFor;
  }
}

/** A failure the command explains itself; `hint` says how to fix it. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, exitCode: number, hint?: string) {
    super(message);
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "print machine-readable JSON instead of text" },
  help: { type: "boolean", short: "h", description: "show help for the command" },
};

/** Parses `argv` (after the command path) against the command's options and the global ones. */
export function parseCommandArgs(cmd: Command, argv: string[]) {
  const options = { ...GLOBAL_OPTIONS, ...cmd.options };
  const config: ParseArgsConfig = {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: Object.fromEntries(
      Object.entries(options).map(([name, o]) => [
        name,
        {
          type: o.type,
          ...(o.short ? { short: o.short } : {}),
          ...(o.multiple ? { multiple: true } : {}),
        },
      ]),
    ),
  } as ParseArgsConfig;
  const name = `ambit ${cmd.path.join(" ")}`;
  try {
    const { values, positionals } = parseArgs(config);
    if (values.help) return { values: values as Values, positionals };
    if (positionals.length < (cmd.minArgs ?? 0))
      throw new UsageError(`${name} needs ${cmd.args}`, name);
    if (positionals.length > (cmd.maxArgs ?? cmd.minArgs ?? 0))
      throw new UsageError(
        `${name}: unexpected argument '${positionals[cmd.maxArgs ?? cmd.minArgs ?? 0]}'`,
        name,
      );
    return { values: values as Values, positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `${name}: ${(err as Error).message.replace(/\. To specify a positional argument.*$/s, "")}`,
      name,
    );
  }
}

/** Help text of one command: usage, options, examples. */
export function commandHelp(cmd: Command): string {
  const name = `ambit ${cmd.path.join(" ")}`;
  const options = { ...cmd.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(options).map(([long, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${long}${o.value ? ` ${o.value}` : ""}`;
    return [flag, `${o.description}${o.multiple ? " (repeatable)" : ""}`];
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  return [
    `${cmd.summary}`,
    "",
    `Usage: ${name}${cmd.args ? ` ${cmd.args}` : ""} [options]`,
    ...(cmd.description ? ["", cmd.description] : []),
    "",
    "Options:",
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    "",
    "Examples:",
    ...cmd.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

/** The context a command runs with, building the client lazily from the settings. */
export function contextFor(io: Io, values: Values, positionals: string[]): CommandContext {
  let resolved: Resolved | undefined;
  const settings = () => (resolved ??= resolveSettings(io.env));
  return {
    values,
    positionals,
    json: !!values.json,
    io,
    settings,
    client: () => {
      const s = settings();
      if (!s.apiKey)
        throw new CliError("no API key", 3, "run `ambit login` (or set AMBIT_API_KEY)");
      return new Ambit({
        apiKey: s.apiKey,
        baseURL: s.baseURL,
        defaultHeaders: { "x-oz-api-source": "CLI" },
      });
    },
  };
}

/** A string flag's value (the last one given). */
export const str = (v: Values[string]): string | undefined =>
  Array.isArray(v) ? (v.at(-1) as string | undefined) : typeof v === "string" ? v : undefined;
/** A repeatable string flag's values. */
export const strs = (v: Values[string]): string[] =>
  Array.isArray(v) ? (v as string[]) : typeof v === "string" ? [v] : [];
