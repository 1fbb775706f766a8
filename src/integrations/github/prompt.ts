/** What a prompt template may name, each filled from the delivery and the thread (context.ts). */
export const PLACEHOLDERS = [
  "repository",
  "kind",
  "number",
  "title",
  "url",
  "author",
  "body",
  "labels",
  "comments",
  "request",
  "diff",
  "ci_log",
  "branch",
  "event",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PromptContext = Partial<Record<Placeholder, string>>;

// `{{name}}`, or `{{payload.a.b}}` for any field of the delivery (as the generic webhook kind has it)
const PLACEHOLDER = /\{\{\s*([a-z_]+|payload(?:\.[\w-]+)*)\s*\}\}/g;

/** The placeholders a template names that do not exist (a typo would silently render nothing). */
export const unknownPlaceholders = (template: string) =>
  [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1])
    .filter(
      (name) => !name.startsWith("payload") && !(PLACEHOLDERS as readonly string[]).includes(name),
    );

/** RunAgentRequest's `prompt` limit: a longer one would fail the run's creation. */
export const MAX_PROMPT_CHARS = 100_000;

/** Fills a template; an absent value renders empty, and the result fits a run's prompt. */
export function renderPrompt(template: string, context: PromptContext, payload?: unknown): string {
  const text = template
    .replace(PLACEHOLDER, (_, name: string) =>
      name.startsWith("payload")
        ? payloadText(payload, name)
        : (context[name as Placeholder] ?? ""),
    )
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return text.length <= MAX_PROMPT_CHARS
    ? text
    : `${text.slice(0, MAX_PROMPT_CHARS - 20)}\n…(truncated)`;
}

/** The payload's value at a dotted path: strings as they are, the rest as JSON, missing as nothing. */
function payloadText(payload: unknown, path: string): string {
  let here = payload;
  for (const part of path.split(".").slice(1)) {
    // own fields only: never a prototype's
    if (here === null || typeof here !== "object" || !Object.hasOwn(here, part)) return "";
    here = (here as Record<string, unknown>)[part];
  }
  if (here === undefined || here === null) return "";
  return typeof here === "string" ? here : JSON.stringify(here);
}

const CONTEXT = `Repository: {{repository}}
{{kind}} #{{number}}: {{title}} ({{url}})
Labels: {{labels}}

{{body}}

{{comments}}`;

/** The default template of each trigger; an integration may replace any of them. */
export const DEFAULT_TEMPLATES = {
  mention: `{{author}} asked you on GitHub:

{{request}}

${CONTEXT}

{{diff}}`,
  label: `Work on this GitHub {{kind}}; when you change code, open a pull request that refers to it.

${CONTEXT}`,
  pull_request: `Review this pull request: read the diff, point out bugs, risks and missing tests, and
suggest concrete fixes. Do not push to its branch.

${CONTEXT}

{{diff}}`,
  ci_failure: `CI failed on branch {{branch}} of {{repository}} ({{url}}). Find the cause from the
failing jobs' logs below, fix it, and open a pull request with the fix.

{{ci_log}}`,
} as const;
export type TriggerName = keyof typeof DEFAULT_TEMPLATES;
