import { capPayload, MAX_EVENT_TEXT } from "@ambit/protocol";
import type { HarnessEvent } from "../harness/types.ts";
import type { Redactor } from "./redact.ts";

export type EventSink = (event: HarnessEvent) => void;

/**
 * Between a run's producers (setup, harness) and its session: every secret value is redacted from
 * every payload, `command.output` chunks are redacted as streams (a value split across chunks of
 * one stream is still caught), and text is kept within `MAX_EVENT_TEXT` (output is split into
 * several events, other text is cut with a marker).
 */
export class EventPipeline {
  /**
   * Per stream, an end of its output that could begin a secret value. It waits for the stream's
   * next chunk (or the next other event, or the end of the run) however long that takes: sent on
   * a timer, a secret printed slowly would leave the host in pieces.
   */
  private tails = new Map<
    string,
    { call_id?: string; stream: "stdout" | "stderr"; held: string }
  >();

  private readonly redactor: Redactor;
  private readonly sink: EventSink;

  constructor(redactor: Redactor, sink: EventSink) {
    this.redactor = redactor;
    this.sink = sink;
  }

  emit(event: HarnessEvent) {
    if (event.type === "command.output") return this.output(event.payload);
    // whatever a stream still holds came before this event
    this.flush();
    this.sink({ type: event.type, payload: capPayload(this.redactor.deep(event.payload)).value });
  }

  /** Sends every held-back tail (the run moved on, or is ending). */
  flush() {
    for (const key of [...this.tails.keys()]) this.flushTail(key);
  }

  private output(payload: Record<string, unknown>) {
    const stream = payload.stream === "stderr" ? "stderr" : "stdout";
    const call_id = typeof payload.call_id === "string" ? payload.call_id : undefined;
    const chunk = typeof payload.chunk === "string" ? payload.chunk : String(payload.chunk ?? "");
    const key = `${call_id ?? ""}\u0000${stream}`;
    const tail = this.tails.get(key) ?? { call_id, stream, held: "" };
    const { out, held } = this.redactor.stream(tail.held, chunk);
    this.send(call_id, stream, out);
    if (!held) {
      this.tails.delete(key);
      return;
    }
    tail.held = held;
    this.tails.set(key, tail);
  }

  private flushTail(key: string) {
    const tail = this.tails.get(key);
    if (!tail) return;
    this.tails.delete(key);
    // the tail was held because it might begin a secret; on its own it can still hold a whole one
    this.send(tail.call_id, tail.stream, this.redactor.text(tail.held));
  }

  private send(call_id: string | undefined, stream: "stdout" | "stderr", text: string) {
    for (let i = 0; i < text.length; i += MAX_EVENT_TEXT) {
      this.sink({
        type: "command.output",
        payload: {
          ...(call_id ? { call_id } : {}),
          stream,
          chunk: text.slice(i, i + MAX_EVENT_TEXT),
        },
      });
    }
  }
}
