const MAX_TITLE = 80;

/** A run title from its prompt: the first non-empty line, trimmed to a word boundary. */
export function titleFromPrompt(prompt: string | undefined, fallback: string): string {
  const line = (prompt ?? "")
    .split("\n")
    .map((l) => l.replace(/\s+/g, " ").trim())
    .find((l) => l.length > 0);
  if (!line) return fallback;
  if (line.length <= MAX_TITLE) return line;
  const cut = line.slice(0, MAX_TITLE - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > 40 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
