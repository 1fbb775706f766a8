// The environment files a step reports back through: `$GITHUB_OUTPUT` (step outputs) and
// `$GITHUB_STEP_SUMMARY` (Markdown on the run's summary page).
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

/** GitHub's limit for one step's summary; past it the upload fails (the step does not). */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

/**
 * One output in the heredoc form `name<<DELIM` ⏎ value ⏎ `DELIM`, always, as the toolkit writes
 * it: the value may hold user text (a summary, a title), and with a random delimiter no line of
 * it can end the value early and set another output.
 */
export function formatOutput(name: string, value: string, delimiter = newDelimiter()): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
    throw new Error(`'${name}' is not an output name (letters, digits, '_' and '-')`);
  if (value.includes(delimiter))
    throw new Error(`the value of output '${name}' contains its delimiter; use another`);
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

const newDelimiter = () => `ghadelimiter_${randomUUID()}`;

/** The step's environment files, or warnings where the runner gave none (run outside Actions). */
export function envFiles(env: NodeJS.ProcessEnv, warn: (message: string) => void) {
  const append = (variable: "GITHUB_OUTPUT" | "GITHUB_STEP_SUMMARY", text: string) => {
    const file = env[variable];
    if (!file) return warn(`${variable} is not set: this step is not running in GitHub Actions`);
    appendFileSync(file, text, "utf8");
  };
  return {
    setOutput: (name: string, value: string) => append("GITHUB_OUTPUT", formatOutput(name, value)),
    /** Appends Markdown to the step's summary; text past GitHub's limit is cut with a note. */
    appendSummary: (markdown: string) => append("GITHUB_STEP_SUMMARY", capBytes(markdown)),
  };
}
export type EnvFiles = ReturnType<typeof envFiles>;

/** `text` cut to fit `max` UTF-8 bytes (minus room for the note saying so). */
export function capBytes(text: string, max = SUMMARY_LIMIT_BYTES / 2): string {
  if (Buffer.byteLength(text) <= max) return text;
  const note = "\n\n… (cut: too long for a job summary)\n";
  let cut = Buffer.from(text)
    .subarray(0, max - Buffer.byteLength(note))
    .toString("utf8");
  cut = cut.replace(/\uFFFD$/, ""); // a character split by the cut
  return cut + note;
}
