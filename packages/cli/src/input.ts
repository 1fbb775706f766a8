import { readFileSync } from "node:fs";
import { CliError, str, UsageError, type Values } from "./command.ts";
import { EXIT } from "./exit-codes.ts";

/** The text of `--<key>` (`flags` names it in the error), or of the file `--file` names: one at most. */
export function textOrFile(
  values: Values,
  key: string,
  flags: string,
  cmd: string,
): string | undefined {
  if (str(values[key]) !== undefined && str(values.file) !== undefined)
    throw new UsageError(`choose ${flags} or --file, not both`, cmd);
  return str(values.file) !== undefined
    ? readTextFile(str(values.file)!, "--file", cmd)
    : str(values[key]);
}

/** A file's text; a file that cannot be read is a command-line mistake (exit 2) that names it. */
export function readTextFile(file: string, flag: string, cmd: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : code === "EACCES"
            ? "permission denied"
            : (err as Error).message;
    throw new CliError(
      `cannot read ${flag} ${file}: ${why}`,
      EXIT.USAGE,
      `check the path (relative to ${process.cwd()}); see \`${cmd} --help\``,
    );
  }
}

/** A JSON object from a file (`--file`), named in the error when it is not one. */
export function readJsonFile(file: string, cmd: string): Record<string, unknown> {
  const text = readTextFile(file, "--file", cmd);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `--file ${file} is not valid JSON: ${(err as Error).message}`,
      EXIT.USAGE,
      `fix the JSON; see \`${cmd} --help\` for its shape`,
    );
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new CliError(
      `--file ${file} must hold a JSON object`,
      EXIT.USAGE,
      `see \`${cmd} --help\` for its shape`,
    );
  return value as Record<string, unknown>;
}

/** `KEY=VALUE` pairs of a repeatable flag as an object (the value may contain '='). */
export function keyValues(pairs: string[], flag: string, cmd: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 1) throw new UsageError(`${flag} wants KEY=VALUE, got '${pair}'`, cmd);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `30m`, `4h`, `1h30m`, `2d` → seconds. */
export function parseDuration(text: string, flag: string, cmd: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+)([smhd])/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text)
    throw new UsageError(
      `${flag} wants a duration like 90s, 30m, 4h, 1h30m or 2d (or seconds), got '${text}'`,
      cmd,
    );
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0);
}

/** A whole number flag. */
export function parseCount(text: string, flag: string, cmd: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} wants a whole number, got '${text}'`, cmd);
  return Number(text);
}
