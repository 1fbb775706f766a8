import type { RunEvent } from "@ambit/protocol";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { signAttachToken } from "../../src/lib/attach-token.ts";
import { BASE, type Json } from "./api.ts";
import { RUNS } from "./runs.ts";

const WAIT_MS = 3_000;

/**
 * The client end of a session websocket, opened through the Worker's fetch handler. Keeps every
 * frame it receives, in order, and lets a test wait for the next one it expects.
 */
export class TestSocket {
  readonly frames: Json[] = [];
  closed: { code: number; reason: string } | null = null;
  private wake: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (m) => {
      this.frames.push(
        JSON.parse(
          typeof m.data === "string" ? m.data : new TextDecoder().decode(m.data as ArrayBuffer),
        ),
      );
      this.notify();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.notify();
    });
    ws.accept();
  }

  private notify() {
    for (const w of this.wake.splice(0)) w();
  }

  /** Resolves once `check` holds (checked now and on every frame or close), or fails after `timeoutMs`. */
  async until<T>(
    what: string,
    check: () => T | undefined | false,
    timeoutMs = WAIT_MS,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; frames so far: ${JSON.stringify(this.frames).slice(0, 2000)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Frames of one type, in arrival order. */
  ofType(type: string) {
    return this.frames.filter((f) => f.type === type);
  }

  /** The events this socket received (replay and live; one per `event` frame, several per `events` frame), in arrival order. */
  events(): RunEvent[] {
    return this.frames.flatMap((f) =>
      f.type === "event"
        ? [f.event as RunEvent]
        : f.type === "events"
          ? (f.events as RunEvent[])
          : [],
    );
  }

  /** Waits until the socket has received events up to and including `seq`. */
  untilSeq(seq: number) {
    return this.until(
      `event seq ${seq}`,
      () => this.events().some((e) => e.seq >= seq) && this.events(),
    );
  }

  /** Waits for the n-th (1-based) frame of `type`. */
  nth(type: string, n: number) {
    return this.until(`${type} frame #${n}`, () => this.ofType(type)[n - 1]);
  }

  /** Waits for the first frame matching `pred` after the first `from` frames. */
  next(what: string, pred: (f: Json) => boolean, from = 0) {
    return this.until(what, () => this.frames.slice(from).find(pred));
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  untilClosed() {
    return this.until("the socket to close", () => this.closed ?? undefined);
  }

  close() {
    if (!this.closed) this.ws.close(1000, "test done");
  }
}

export type AttachAuth = {
  key?: string;
  token?: string;
  after?: number;
  headers?: Record<string, string>;
};

/** `GET /agent/runs/{id}/session` with `Upgrade: websocket`; the raw response (for refusals). */
export async function attachRequest(runId: string, auth: AttachAuth, upgrade = true) {
  const q = new URLSearchParams();
  if (auth.after !== undefined) q.set("after", String(auth.after));
  if (auth.token) q.set("token", auth.token);
  const headers: Record<string, string> = { ...auth.headers };
  if (upgrade) headers.upgrade = "websocket";
  if (auth.key) headers.authorization = `Bearer ${auth.key}`;
  return exports.default.fetch(
    new Request(`${BASE}${RUNS}/${runId}/session${q.size ? `?${q}` : ""}`, { headers }),
  );
}

/** Attaches a websocket (asserting 101) and waits for its `ready` frame. */
export async function attach(runId: string, auth: AttachAuth) {
  const res = await attachRequest(runId, auth);
  expect(res.status, res.status === 101 ? "" : await res.text()).toBe(101);
  expect(res.webSocket).toBeTruthy();
  const socket = new TestSocket(res.webSocket!);
  await socket.nth("ready", 1);
  return socket;
}

/**
 * An attach token, as the run's host (or anyone) would get it from the platform. A HOST token is
 * for execution 1 unless told otherwise, and works only while that execution is held (see
 * services/runs/token-checks.ts): advance the run to PENDING or later first.
 */
export async function tokenFor(
  run: { runId: string; teamId: string },
  access: "VIEWER" | "EDITOR" | "HOST",
  principal: { type: "user" | "service_account" | "host" | "system"; id: string } = {
    type: "host",
    id: "host-1",
  },
  ttlSeconds?: number,
  executionId = access === "HOST" ? 1 : undefined,
) {
  const { token } = await signAttachToken(
    env.JWT_SECRET,
    { ...run, principal, access, ...(executionId !== undefined ? { executionId } : {}) },
    ttlSeconds,
  );
  return token;
}

export type SseFrame = { id: string | undefined; event: string | undefined; data: string };

/** Reads a Server-Sent Events response frame by frame (the stream stays open until `cancel`). */
export class SseReader {
  readonly frames: SseFrame[] = [];
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** Waits until `count` frames have arrived in all; returns them. */
  async until(count: number): Promise<SseFrame[]> {
    const deadline = Date.now() + WAIT_MS;
    while (this.frames.length < count) {
      const left = deadline - Date.now();
      let timer: ReturnType<typeof setTimeout> | null = null;
      const timeout = new Promise<"timeout">(
        (resolve) => (timer = setTimeout(() => resolve("timeout"), Math.max(left, 0))),
      );
      const chunk = await Promise.race([this.reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === "timeout")
        throw new Error(
          `timed out waiting for SSE frame #${count}; got ${JSON.stringify(this.frames).slice(0, 1000)}`,
        );
      if (chunk.done) throw new Error(`the SSE stream ended after ${this.frames.length} frames`);
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
      for (let i = this.buffer.indexOf("\n\n"); i >= 0; i = this.buffer.indexOf("\n\n")) {
        const block = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        const field = (name: string) =>
          block
            .split("\n")
            .find((l) => l.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        this.frames.push({ id: field("id"), event: field("event"), data: field("data") ?? "" });
      }
    }
    return this.frames.slice(0, count);
  }

  /** The events carried by the frames so far. */
  events(): RunEvent[] {
    return this.frames.map((f) => JSON.parse(f.data) as RunEvent);
  }

  async cancel() {
    await this.reader.cancel().catch(() => {});
  }
}
