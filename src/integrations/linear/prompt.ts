import type { IssueContext } from "./queries.ts";

/** The placeholders a Linear prompt template may name. */
export const PLACEHOLDERS = [
  "identifier",
  "title",
  "description",
  "url",
  "labels",
  "comments",
  "team",
  "project",
  "request",
  "prompt_context",
];

export type PromptValues = Record<(typeof PLACEHOLDERS)[number], string>;

/** The default prompt of a new session: Linear's own context when it sent one, else the issue's. */
export const DEFAULT_TEMPLATE = `You were asked to work on the Linear issue {{identifier}}: {{title}}
{{url}}

{{request}}

Labels: {{labels}}

Description:
{{description}}

Comments (oldest first):
{{comments}}

{{prompt_context}}`;

/** The values of a session's placeholders, each capped by the integration's limits. */
export function promptValues(input: {
  issue: IssueContext;
  request: string;
  promptContext?: string | null;
  limits: { comment_chars: number; description_chars: number };
}): PromptValues {
  const { issue, limits } = input;
  const cap = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);
  return {
    identifier: issue.identifier,
    title: issue.title,
    description: cap(issue.description || "(none)", limits.description_chars),
    url: issue.url,
    labels: issue.labels.join(", ") || "(none)",
    comments:
      issue.comments.map((c) => `- ${c.author}: ${cap(c.body, limits.comment_chars)}`).join("\n") ||
      "(none)",
    team: issue.team?.key ?? "",
    project: issue.project?.name ?? "",
    request: input.request,
    prompt_context: input.promptContext ? `Context from Linear:\n${input.promptContext}` : "",
  };
}

/** The template with its placeholders filled (an unknown one was refused when it was saved). */
export const renderPrompt = (template: string, values: PromptValues) =>
  template
    .replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => values[name] ?? "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
