/** `${NAME}` inside MCP server settings: replaced with the run's secret or env var `NAME`. */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class UnknownPlaceholderError extends Error {
  readonly names: string[];
  readonly where: string;
  constructor(names: string[], where: string) {
    const list = names.map((n) => `\${${n}}`).join(", ");
    super(
      `${list} in ${where} names no secret or environment variable of this run: add a team secret named ${names.join(", ")} or fix the name`,
    );
    this.names = names;
    this.where = where;
  }
}

export function resolvePlaceholders(
  value: string,
  env: Record<string, string>,
  where: string,
): string {
  const unknown: string[] = [];
  const out = value.replace(PLACEHOLDER, (_, name: string) => {
    if (env[name] === undefined) unknown.push(name);
    return env[name] ?? "";
  });
  if (unknown.length) throw new UnknownPlaceholderError([...new Set(unknown)], where);
  return out;
}

export function resolveRecord(
  rec: Record<string, string> | undefined,
  env: Record<string, string>,
  where: string,
) {
  return Object.fromEntries(
    Object.entries(rec ?? {}).map(([k, v]) => [k, resolvePlaceholders(v, env, `${where}.${k}`)]),
  );
}

/** Whether `value` holds a `${NAME}` placeholder (its resolved value may be a secret). */
export const hasPlaceholder = (value: string) => new RegExp(PLACEHOLDER.source).test(value);
