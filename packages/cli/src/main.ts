import {
  CliError,
  type Command,
  commandHelp,
  contextFor,
  parseCommandArgs,
  UsageError,
  VERSION,
} from "./command.ts";
import { ALIASES, COMMANDS } from "./commands/index.ts";
import { reportError } from "./errors.ts";
import { EXIT } from "./exit-codes.ts";
import type { Io } from "./output.ts";

/** Finds the command named by the leading words of argv. */
function lookup(argv: string[]): { cmd?: Command; rest: string[]; words: string[] } {
  const words = argv.slice(0, 2).filter((w) => !w.startsWith("-"));
  for (let n = Math.min(2, words.length); n > 0; n--) {
    const key = words.slice(0, n).join(" ");
    const path = ALIASES[key] ?? words.slice(0, n);
    const cmd = COMMANDS.find((c) => c.path.join(" ") === path.join(" "));
    if (cmd) return { cmd, rest: argv.slice(n), words };
  }
  return { rest: argv, words };
}

function overview(noun?: string): string {
  const cmds = noun ? COMMANDS.filter((c) => c.path[0] === noun) : COMMANDS;
  const width = Math.max(
    ...cmds.map((c) => `${c.path.join(" ")}${c.args ? ` ${c.args}` : ""}`.length),
  );
  return [
    noun
      ? `ambit ${noun} — commands:`
      : `ambit ${VERSION} — start, watch and steer Ambit agent runs`,
    "",
    `Usage: ambit ${noun ?? "<command>"}${noun ? " <verb>" : ""} [options]`,
    "",
    "Commands:",
    ...cmds.map(
      (c) => `  ${`${c.path.join(" ")}${c.args ? ` ${c.args}` : ""}`.padEnd(width)}  ${c.summary}`,
    ),
    "",
    "Every command takes --json (machine-readable output) and --help (options and examples).",
    "Settings: `ambit login` stores the server URL and key; AMBIT_BASE_URL and AMBIT_API_KEY override them.",
    ...(noun
      ? []
      : [
          "",
          "Examples:",
          "  ambit login",
          '  ambit agent run -p "Fix the flaky test in src/util"',
          "  ambit run list --state failed",
          "  ambit run follow <run-id>",
        ]),
    "",
  ].join("\n");
}

/** Runs the CLI on `argv` (without `node ambit`); answers the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const json = argv.includes("--json");
  try {
    if (argv[0] === "--version" || argv[0] === "-v") return (io.out.write(`${VERSION}\n`), EXIT.OK);
    if (!argv.length || argv[0] === "--help" || argv[0] === "-h")
      return (io.out.write(overview()), EXIT.OK);
    if (argv[0] === "help") return main([...argv.slice(1), "--help"], io);
    const { cmd, rest, words } = lookup(argv);
    if (!cmd) {
      const noun = words[0];
      if (noun && COMMANDS.some((c) => c.path[0] === noun)) {
        if (words.length === 1) return (io.out.write(overview(noun)), EXIT.OK);
        throw new UsageError(
          `unknown command 'ambit ${words.join(" ")}'; the ${noun} commands are: ${COMMANDS.filter(
            (c) => c.path[0] === noun,
          )
            .map((c) => c.path[1])
            .join(", ")}`,
          `ambit ${noun}`,
        );
      }
      throw new UsageError(`unknown command '${argv[0]}'; see the list with \`ambit --help\``);
    }
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) return (io.out.write(commandHelp(cmd)), EXIT.OK);
    return await cmd.run(contextFor(io, values, positionals));
  } catch (err) {
    return reportError(err, io, json);
  }
}

export { CliError };

const io: Io = { out: process.stdout, err: process.stderr, stdin: process.stdin, env: process.env };
const code = await main(process.argv.slice(2), io);
process.exitCode = code;
// whatever still holds the event loop (a paused stdin, an idle keep-alive socket) must not keep a finished command alive
setTimeout(() => process.exit(code), 50).unref();
