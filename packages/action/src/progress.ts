// The run's progress as log lines: state changes, the agent's messages and commands in brief.
import type { RunEvent } from "@ambit/sdk";

const MESSAGE_CHARS = 300;
const COMMAND_CHARS = 120;

/** `text` on one line, at most `max` characters. */
export function brief(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `1m 05s`, `12s`. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

/** A log line for `event`, or null for events the log leaves out (command output, usage, …). */
export function progressLine(event: RunEvent): string | null {
  // biome-ignore lint/suspicious/noExplicitAny: an event payload is JSON; fields are read defensively
  const p = event.payload as Record<string, any>;
  switch (event.type) {
    case "run.state_changed":
      return `${p.from} → ${p.to}${p.status_message?.message ? ` — ${brief(p.status_message.message, MESSAGE_CHARS)}` : ""}`;
    case "run.waiting":
      return `waiting: ${brief(p.status_message?.message ?? "for an answer", MESSAGE_CHARS)}`;
    case "agent.message":
      return p.role === "system" ? null : `agent: ${brief(String(p.text ?? ""), MESSAGE_CHARS)}`;
    case "agent.tool_call":
      return typeof p.input?.command === "string"
        ? `$ ${brief(p.input.command, COMMAND_CHARS)}`
        : `tool: ${p.name}`;
    case "artifact.created":
      return `artifact ${p.artifact_type}: ${p.data?.url ?? p.data?.filepath ?? p.data?.filename ?? ""}`;
    case "error":
      return `error: ${brief(String(p.message ?? ""), MESSAGE_CHARS)}`;
    default:
      return null;
  }
}
