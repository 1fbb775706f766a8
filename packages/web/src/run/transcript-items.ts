// A run's events folded into what a reader follows: messages, tool calls (with their output and
// result), setup steps, follow-ups, state changes. Each item keeps the seqs it was made of.
import type { RunEvent } from "@ambit/sdk";

export type Item =
  | { kind: "message"; key: string; seqs: number[]; at: string; text: string; role: string }
  | {
      kind: "tool";
      key: string;
      seqs: number[];
      at: string;
      name: string;
      input: Record<string, unknown>;
      output: string;
      result?: string;
    }
  | {
      kind: "setup";
      key: string;
      seqs: number[];
      at: string;
      name: string;
      phase: string;
      status: string;
      durationMs?: number;
      tail?: string;
    }
  | { kind: "followup"; key: string; seqs: number[]; at: string; message: string; by: string }
  | {
      kind: "state";
      key: string;
      seqs: number[];
      at: string;
      from?: string;
      to: string;
      why?: string;
    }
  | { kind: "note"; key: string; seqs: number[]; at: string; text: string; tone: "error" | "info" };

/**
 * Folds events into items, in order; `items` is extended in place so a live stream costs the new
 * events only. Tool output joins its call by `call_id`; a setup step's end joins its start.
 */
export class TranscriptBuilder {
  items: Item[] = [];
  /** call_id / setup step → the index of its item */
  private tools = new Map<string, number>();
  private steps = new Map<string, number>();

  add(events: RunEvent[]): Item[] {
    for (const e of events) this.addOne(e);
    return this.items;
  }

  private push(item: Item): number {
    return this.items.push(item) - 1;
  }

  /** An item grew: replaced, not mutated, so memoized rows redraw. */
  private touch(index: number, change: Partial<Item>, seq: number) {
    const item = this.items[index];
    this.items[index] = { ...item, ...change, seqs: [...item.seqs, seq] } as Item;
  }

  private addOne(e: RunEvent): void {
    // biome-ignore lint/suspicious/noExplicitAny: an event payload is JSON whose shape its type names; fields are read defensively
    const p = e.payload as Record<string, any>;
    const base = { key: `e${e.seq}`, seqs: [e.seq], at: e.at };
    switch (e.type) {
      case "agent.message":
        return void this.push({
          ...base,
          kind: "message",
          text: String(p.text ?? ""),
          role: p.role ?? "assistant",
        });
      case "agent.tool_call": {
        this.tools.set(
          p.call_id,
          this.push({
            ...base,
            kind: "tool",
            name: String(p.name),
            input: p.input ?? {},
            output: "",
          }),
        );
        return;
      }
      case "command.output":
      case "agent.tool_result": {
        const index = p.call_id ? this.tools.get(p.call_id) : undefined;
        if (index === undefined) {
          const text = e.type === "command.output" ? String(p.chunk) : JSON.stringify(p.output);
          return void this.push({ ...base, kind: "note", tone: "info", text });
        }
        const tool = this.items[index] as Extract<Item, { kind: "tool" }>;
        const change =
          e.type === "command.output"
            ? { output: tool.output + String(p.chunk) }
            : { result: String(p.state) };
        this.touch(index, change, e.seq);
        return;
      }
      case "setup.step": {
        const id = `${p.phase}:${p.name}`;
        const open = this.steps.get(id);
        if (open !== undefined && p.status !== "started") {
          this.steps.delete(id);
          this.touch(
            open,
            { status: p.status, durationMs: p.duration_ms, tail: p.output_tail },
            e.seq,
          );
          return;
        }
        const index = this.push({
          ...base,
          kind: "setup",
          name: String(p.name),
          phase: String(p.phase),
          status: String(p.status),
          durationMs: p.duration_ms,
          tail: p.output_tail,
        });
        if (p.status === "started") this.steps.set(id, index);
        return;
      }
      case "followup.received":
        return void this.push({
          ...base,
          kind: "followup",
          message: String(p.message),
          by: `${e.actor.type} ${e.actor.id}`,
        });
      case "run.created":
        return void this.push({
          ...base,
          kind: "state",
          to: String(p.state),
          why: p.status_message?.message,
        });
      case "run.state_changed":
        return void this.push({
          ...base,
          kind: "state",
          from: p.from,
          to: p.to,
          why: p.status_message?.message,
        });
      case "run.waiting":
        return void this.push({
          ...base,
          kind: "note",
          tone: "info",
          text: String(p.status_message?.message ?? "waiting"),
        });
      case "run.cancel_requested":
        return void this.push({
          ...base,
          kind: "note",
          tone: "info",
          text: `Cancel requested by ${e.actor.type} ${e.actor.id}`,
        });
      case "error":
        return void this.push({ ...base, kind: "note", tone: "error", text: String(p.message) });
      case "log":
        // what a vendor CLI said along the way (a retry, a warning): shown, never as an error
        return void this.push({
          ...base,
          kind: "note",
          tone: "info",
          text: `${p.source ?? "agent"}${p.level === "warning" ? " (warning)" : ""}: ${p.message}`,
        });
      case "secrets.withheld":
        return void this.push({ ...base, kind: "note", tone: "info", text: String(p.message) });
      case "usage":
        return void this.push({
          ...base,
          kind: "note",
          tone: "info",
          text: `Tokens: ${p.input_tokens} in, ${p.output_tokens} out${
            p.model_id ? ` (${p.model_id})` : ""
          }`,
        });
      default:
        return void this.push({
          ...base,
          kind: "note",
          tone: "info",
          text: `${e.type}: ${JSON.stringify(p)}`,
        });
    }
  }
}
