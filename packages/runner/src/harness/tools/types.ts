import type { HarnessContext } from "../types.ts";
import type { ToolSpec } from "../providers/types.ts";

export type ToolCategory =
  | "command"
  | "files"
  | "search"
  | "integration"
  | "documents"
  | "computer"
  | "review"
  | "skill";

/** What a tool hands back: `content` goes to the model, `output` into the `agent.tool_result` event. */
export type ToolOutcome = { content: string; isError: boolean; output: Record<string, unknown> };

export interface Tool extends ToolSpec {
  readonly category?: ToolCategory;
  run(
    input: Record<string, unknown>,
    call: { id: string },
    ctx: HarnessContext,
  ): Promise<ToolOutcome>;
}

/** A mistake in the model's input: answered to the model as a failed tool result, never thrown further. */
export class ToolInputError extends Error {}

export const ok = (content: string, output: Record<string, unknown> = {}): ToolOutcome => ({
  content,
  isError: false,
  output,
});

export function str(input: Record<string, unknown>, key: string, required = true): string {
  const v = input[key];
  if (typeof v === "string" && (v.length || !required)) return v;
  if (v === undefined && !required) return "";
  throw new ToolInputError(`"${key}" must be a ${required ? "non-empty " : ""}string`);
}

export function num(input: Record<string, unknown>, key: string, fallback: number): number {
  const v = input[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0)
    throw new ToolInputError(`"${key}" must be a positive number`);
  return v;
}

/** Keeps the end of long text (where errors and summaries are), saying how much was dropped. */
export function tail(text: string, max: number): string {
  return text.length <= max
    ? text
    : `[${text.length - max} earlier characters omitted]\n${text.slice(-max)}`;
}
