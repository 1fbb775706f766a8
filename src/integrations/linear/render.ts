import type { RunEvent, RunState } from "@ambit/protocol";
import type { ActivityContent } from "./queries.ts";

/** What rendering remembers across events: tool calls awaiting their result, the last message. */
export type RenderMemory = {
  calls: Record<string, { action: string; parameter: string }>;
  last_message?: string;
};

/** What an ending says beyond the events: where the run is shown, and the PR it opened. */
export type RunLinks = { runUrl?: string | null; runId: string; pullRequestUrl?: string | null };

const MAX_PARAMETER = 300;
const MAX_RESULT = 1_000;
const MAX_BODY = 8_000;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Event types whose rendering needs `RunLinks` (the run's facts are read only for them). */
export const needsLinks = (e: RunEvent) =>
  e.type === "run.state_changed" &&
  ["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"].includes(String(e.payload.to));

/**
 * The one place a run event becomes what an agent session shows (integrations reference §4.3):
 * a run starting work → `thought`; a tool's result → `action` (the tool, its parameter, its
 * result); `BLOCKED` → `elicitation` (the answer comes back as `prompted`, a follow-up);
 * success → `response` (the agent's last message, the pull request, the run); failure or
 * cancel → `error`.
 * Anything else shows nothing. Pure: the report posts what this returns, in event order.
 */
export function renderEvent(
  e: RunEvent,
  memory: RenderMemory,
  links: RunLinks,
): { activities: ActivityContent[]; memory: RenderMemory } {
  const p = e.payload;
  if (e.type === "agent.tool_call") {
    const calls = {
      ...memory.calls,
      [String(p.call_id)]: { action: String(p.name), parameter: parameterOf(p.input) },
    };
    return { activities: [], memory: { ...memory, calls } };
  }
  if (e.type === "agent.tool_result") {
    const { [String(p.call_id)]: call, ...calls } = memory.calls;
    const result = resultOf(String(p.state), p.output);
    const action: ActivityContent = {
      type: "action",
      action: call?.action ?? String(p.name),
      parameter: call?.parameter ?? "",
      result,
    };
    return { activities: [action], memory: { ...memory, calls } };
  }
  if (e.type === "agent.message" && p.role !== "system" && typeof p.text === "string")
    return { activities: [], memory: { ...memory, last_message: cut(p.text, MAX_BODY) } };
  if (e.type !== "run.state_changed") return { activities: [], memory };
  const to = p.to as RunState;
  const from = p.from as RunState;
  const status = (p.status_message as { message?: string } | undefined)?.message;
  const run = links.runUrl ? `[the run](${links.runUrl})` : `run ${links.runId}`;
  const one = (a: ActivityContent) => ({ activities: [a], memory });
  if (to === "INPROGRESS" && from !== "BLOCKED")
    return one({ type: "thought", body: `A host picked up ${run}; working on it.` });
  if (to === "BLOCKED")
    return one({
      type: "elicitation",
      body: cut(status ?? "The agent needs your input to go on.", MAX_BODY),
    });
  if (to === "SUCCEEDED") {
    const parts = [
      memory.last_message ?? "Done.",
      links.pullRequestUrl ? `Pull request: ${links.pullRequestUrl}` : null,
      `Details: ${run}.`,
    ];
    return one({ type: "response", body: cut(parts.filter(Boolean).join("\n\n"), MAX_BODY) });
  }
  if (to === "CANCELLED")
    return one({
      type: "error",
      body: `Stopped: ${run} was cancelled${status ? ` (${status})` : ""}.`,
    });
  if (to === "FAILED" || to === "ERROR")
    return one({
      type: "error",
      body: cut(
        `${run} ${to === "FAILED" ? "failed" : "ended in an error"}: ${status ?? "no reason given"}.`,
        MAX_BODY,
      ),
    });
  return { activities: [], memory };
}

/** What a tool call acted on: a command, a path or a query, else its input in brief. */
function parameterOf(input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  for (const k of ["command", "cmd", "path", "file_path", "query", "pattern", "url"])
    if (typeof i[k] === "string") return cut(i[k] as string, MAX_PARAMETER);
  return cut(JSON.stringify(i), MAX_PARAMETER);
}

/** A tool's result in brief: its state unless it completed, then its text output. */
function resultOf(state: string, output: unknown): string {
  const o = (output ?? {}) as Record<string, unknown>;
  const text = ["text", "output", "stdout", "result", "content"]
    .map((k) => o[k])
    .find((v): v is string => typeof v === "string");
  const exit = typeof o.exit_code === "number" ? `exit ${o.exit_code}` : null;
  const head = [state === "completed" ? null : state, exit].filter(Boolean).join(", ");
  const body = cut(text ?? (Object.keys(o).length ? JSON.stringify(o) : ""), MAX_RESULT);
  return [head, body].filter(Boolean).join(": ") || state;
}
