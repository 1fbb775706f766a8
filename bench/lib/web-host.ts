// The web bench's run host: a run its host holds (held-run.ts), whose session it writes with the
// assignment's HOST token over the real host protocol (`append` frames, each acked with the seqs
// the session gave the events). Its events read like an agent's: a Markdown message, a shell tool
// call with six chunks of output and its result, a short message, in a cycle of ten.
import WebSocket from "ws";
import { type HeldRun, heldRun } from "./held-run.ts";

type HostEvent = { type: string; payload: Record<string, unknown> };

/** The i-th event of the cycle (i from 0). */
export function benchEvent(i: number): HostEvent {
  const step = Math.floor(i / 10);
  const file = `src/module-${step % 97}.ts`;
  const call_id = `call-${step}`;
  const k = i % 10;
  if (k === 0)
    return {
      type: "agent.message",
      payload: {
        text:
          `### Step ${step + 1}\nReading **${file}**: \`parse()\` drops the last token when ` +
          "the input ends without a newline.\n\n- check the callers\n- add a test for the edge",
      },
    };
  if (k === 1)
    return {
      type: "agent.tool_call",
      payload: {
        call_id,
        name: "shell",
        category: "command",
        input: { command: `rg -n "parse\\(" ${file}` },
      },
    };
  if (k < 8)
    return {
      type: "command.output",
      payload: { call_id, stream: "stdout", chunk: `${file}:${k * 7}:  const t = parse(src);\n` },
    };
  if (k === 8)
    return {
      type: "agent.tool_result",
      payload: { call_id, name: "shell", state: "completed", output: { exit_code: 0 } },
    };
  return { type: "agent.message", payload: { text: `Event ${i + 1}: step ${step + 1} done.` } };
}

export class EventHost {
  readonly runId: string;
  /** the seqs the session gave our events, in order */
  readonly seqs: number[] = [];
  /** events written so far (the next one is `benchEvent(written)`) */
  written = 0;
  private ref = 0;
  private readonly waiting = new Map<string, () => void>();
  private readonly held: HeldRun;
  private readonly ws: WebSocket;

  private constructor(held: HeldRun, ws: WebSocket) {
    this.held = held;
    this.runId = held.runId;
    this.ws = ws;
    ws.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as {
        type: string;
        ref?: string;
        seqs?: number[];
        refused?: unknown[];
        message?: string;
      };
      if (f.type === "error") throw new Error(`session error: ${raw.toString()}`);
      if (f.type !== "ack") return;
      if (f.refused?.length) throw new Error(`events refused: ${JSON.stringify(f.refused)}`);
      this.seqs.push(...(f.seqs ?? []));
      this.waiting.get(f.ref ?? "")?.();
      this.waiting.delete(f.ref ?? "");
    });
  }

  /** A new run on a pool of its own, taken by a bare host, its session attached as HOST. */
  static async open(url: string, key: string, prompt: string): Promise<EventHost> {
    const held = await heldRun({ url, key }, prompt);
    const ws = new WebSocket(
      `${url.replace(/^http/, "ws")}/api/v1/agent/runs/${held.runId}/session?token=${encodeURIComponent(held.token)}`,
      { perMessageDeflate: false },
    );
    await new Promise<void>((resolve, reject) => {
      ws.once("error", reject);
      ws.on("message", function ready(raw) {
        if ((JSON.parse(raw.toString()) as { type: string }).type !== "ready") return;
        ws.off("message", ready);
        resolve();
      });
    });
    return new EventHost(held, ws);
  }

  /** The seq of the last event acked. */
  get lastSeq(): number {
    return this.seqs.at(-1) ?? 0;
  }

  private send(n: number): Promise<void> {
    const ref = `b${++this.ref}`;
    const events = Array.from({ length: n }, () => ({
      host_seq: this.written + 1,
      ...benchEvent(this.written++),
    }));
    const acked = new Promise<void>((resolve) => this.waiting.set(ref, resolve));
    this.ws.send(JSON.stringify({ type: "append", ref, events }));
    return acked;
  }

  /** Writes `n` events in appends of up to 500, each waiting for its ack. */
  async fill(n: number) {
    for (let left = n; left > 0; left -= 500) await this.send(Math.min(500, left));
  }

  /**
   * Writes `rate` events a second for `seconds`, one `append` each, event i due at start + i/rate
   * (a late timer sends what is due at once); resolves once every one was acked.
   */
  async stream(rate: number, seconds: number): Promise<{ seconds: number }> {
    const total = Math.round(rate * seconds);
    const start = performance.now();
    const acks: Promise<void>[] = [];
    for (let i = 0; i < total; ) {
      while (i < total && start + (i * 1000) / rate <= performance.now()) {
        acks.push(this.send(1));
        i++;
      }
      await new Promise((r) =>
        setTimeout(r, Math.max(0, start + (i * 1000) / rate - performance.now())),
      );
    }
    const sent = (performance.now() - start) / 1000;
    await Promise.all(acks);
    return { seconds: sent };
  }

  async close() {
    this.ws.close(1000);
    await this.held.release();
  }
}

/**
 * What a viewer waits for before it can draw a run, measured from Node: minting a session token
 * (`POST …/session-token`), attaching, and receiving the replay up to `lastSeq`. The page's own
 * floor for "interactive", with no browser, no rendering.
 */
export async function timeReplay(url: string, key: string, runId: string, lastSeq: number) {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/agent/runs/${runId}/session-token`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
  });
  if (!res.ok) throw new Error(`session-token answered ${res.status}: ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  const ws = new WebSocket(
    `${url.replace(/^http/, "ws")}/api/v1/agent/runs/${runId}/session?token=${encodeURIComponent(token)}&after=0`,
    { perMessageDeflate: false },
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (raw) => {
      const f = JSON.parse(raw.toString()) as {
        type: string;
        event?: { seq: number };
        events?: { seq: number }[];
      };
      const seq =
        f.type === "event" ? f.event!.seq : f.type === "events" ? f.events!.at(-1)!.seq : 0;
      if (seq >= lastSeq) resolve();
    });
  });
  const ms = performance.now() - t0;
  ws.close(1000);
  return ms;
}
