import type { ConversationResponse, RunEvent } from "@ambit/protocol";
import type { z } from "zod";

// Two read-only views of a run's event log: the Oz `ConversationResponse` and the lifecycle
// timeline. Pure functions of the events, so every client sees the same record.

type ContentBlock =
  | { type: "text"; text: string; message_id?: string }
  | { type: "action"; id: string; category: string; name: string; input: Record<string, unknown> }
  | {
      type: "action_result";
      action_id: string;
      category: string;
      name: string;
      state: string;
      output: Record<string, unknown>;
    }
  | { type: "event"; name: string; data: Record<string, unknown> };
type Message = {
  role: "user" | "assistant" | "tool" | "system";
  timestamp: string;
  content: ContentBlock[];
  message_ids?: string[];
};
type Step = {
  id: string;
  started_at?: string;
  completed_at?: string;
  messages: Message[];
  steps: Step[];
};

const VISIBLE_EVENTS = new Set([
  "setup.step",
  "error",
  "artifact.created",
  "usage",
  "secrets.withheld",
]);

/** Oz `ConversationResponse`: one step per execution; prompt and follow-ups as user messages. */
export function buildConversation(
  conversationId: string,
  events: RunEvent[],
): z.infer<typeof ConversationResponse> {
  const steps = new Map<number, Step>();
  const toolCategory = new Map<string, string>();
  const stepOf = (e: RunEvent) => {
    let s = steps.get(e.execution_id);
    if (!s)
      steps.set(
        e.execution_id,
        (s = { id: `execution-${e.execution_id}`, started_at: e.at, messages: [], steps: [] }),
      );
    s.completed_at = e.at;
    return s;
  };
  const push = (e: RunEvent, role: Message["role"], block: ContentBlock) => {
    const msgs = stepOf(e).messages;
    const last = msgs.at(-1);
    // consecutive blocks of the same role form one message
    if (last && last.role === role && role !== "user") last.content.push(block);
    else msgs.push({ role, timestamp: e.at, content: [block] });
  };
  for (const e of events) {
    // biome-ignore lint/suspicious/noExplicitAny: an event payload is JSON whose shape its type names; fields are read defensively
    const p = e.payload as Record<string, any>;
    switch (e.type) {
      case "run.created":
        if (p.prompt) push(e, "user", { type: "text", text: p.prompt });
        break;
      case "followup.received":
        push(e, "user", { type: "text", text: p.message });
        break;
      case "agent.message":
        push(e, "assistant", {
          type: "text",
          text: p.text,
          ...(p.message_id ? { message_id: p.message_id } : {}),
        });
        break;
      case "agent.tool_call":
        toolCategory.set(p.call_id, p.category ?? "command");
        push(e, "assistant", {
          type: "action",
          id: p.call_id,
          category: p.category ?? "command",
          name: p.name,
          input: p.input,
        });
        break;
      case "agent.tool_result":
        push(e, "tool", {
          type: "action_result",
          action_id: p.call_id,
          category: toolCategory.get(p.call_id) ?? "command",
          name: p.name,
          state: p.state,
          output: p.output,
        });
        break;
      default:
        if (VISIBLE_EVENTS.has(e.type)) push(e, "system", { type: "event", name: e.type, data: p });
    }
  }
  return { conversation_id: conversationId, steps: [...steps.values()] };
}

const TIMELINE_BY_STATE: Record<string, string> = {
  CLAIMED: "oz_run_claimed",
  INPROGRESS: "agent_started",
  BLOCKED: "oz_run_blocked",
  SUCCEEDED: "oz_run_done",
  FAILED: "oz_run_failed",
  ERROR: "oz_run_errored",
  CANCELLED: "oz_run_cancelled",
};

/** Oz `GetRunTimelineResponse`: lifecycle milestones, each with the time since the previous one. */
export function buildTimeline(runId: string, events: RunEvent[]) {
  const out: {
    event_uuid: string;
    run_id: string;
    execution_id: number;
    event_type: string;
    occurred_at: string;
    payload: Record<string, unknown>;
  }[] = [];
  let previous: number | null = null;
  for (const e of events) {
    // biome-ignore lint/suspicious/noExplicitAny: an event payload is JSON whose shape its type names; fields are read defensively
    const p = e.payload as Record<string, any>;
    let type: string | undefined;
    if (e.type === "run.created") type = "oz_run_created";
    else if (e.type === "run.state_changed")
      type = p.command === "reopen" ? "oz_run_reopened" : TIMELINE_BY_STATE[p.to];
    else if (e.type === "setup.step" && p.phase === "harness" && p.status === "succeeded")
      type = "worker_container_ready";
    if (!type) continue;
    const at = Date.parse(e.at);
    out.push({
      event_uuid: `${runId}:${e.seq}`,
      run_id: runId,
      execution_id: e.execution_id,
      event_type: type,
      occurred_at: e.at,
      payload: {
        seq: e.seq,
        since_previous_ms: previous === null ? 0 : at - previous,
        ...(p.status_message ? { status_message: p.status_message } : {}),
      },
    });
    previous = at;
  }
  return { events: out };
}
