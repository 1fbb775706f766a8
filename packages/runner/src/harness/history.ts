import type { ChatMessage } from "./providers/types.ts";

/** About 100k tokens: leaves room in a 128k-context model for the system prompt, tools and the answer. */
export const HISTORY_BUDGET_CHARS = 400_000;
const KEPT_HEAD = 300;

const size = (m: ChatMessage) =>
  m.role === "tool"
    ? m.results.reduce((n, r) => n + r.content.length, 0)
    : m.role === "user"
      ? m.text.length
      : m.text.length + m.toolCalls.reduce((n, c) => n + JSON.stringify(c.input).length, 0);

/**
 * Keeps a long run inside the model's context: when the conversation outgrows `budget`
 * characters, the oldest tool outputs are cut to their first lines (the model can run the tool
 * again). The latest tool results, the task and people's messages are never cut.
 */
export function elideOldToolResults(
  messages: ChatMessage[],
  budget = HISTORY_BUDGET_CHARS,
): number {
  let total = messages.reduce((n, m) => n + size(m), 0);
  let lastTool = -1;
  messages.forEach((m, i) => {
    if (m.role === "tool") lastTool = i;
  });
  let elided = 0;
  for (let i = 0; i < lastTool && total > budget; i++) {
    const m = messages[i];
    if (m.role !== "tool") continue;
    for (const r of m.results) {
      if (r.content.length <= KEPT_HEAD * 2 || total <= budget) continue;
      const cut = `${r.content.slice(0, KEPT_HEAD)}\n[${r.content.length - KEPT_HEAD} more characters dropped to keep the conversation within the model's context; run the tool again if you need them]`;
      total -= r.content.length - cut.length;
      r.content = cut;
      elided++;
    }
  }
  return elided;
}
