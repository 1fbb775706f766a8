// The hosts of the dispatch benchmark: each is one connection to the team's pool socket
// (`/api/v1/selfhosted/worker/ws?worker_id=`) speaking the host protocol of
// packages/protocol/src/hosts.ts, doing no work: every `task_assignment` is answered at once with
// `task_claimed`, `task_started` and `task_completed`. The `ws` package, because Node's global
// WebSocket cannot send an `Authorization` header. Times are `performance.now()` of this process.
import WebSocket from "ws";

type Frame = {
  type: string;
  data?: { task_id?: string; heartbeat_interval_ms?: number; code?: string; message?: string };
};

export class BenchHost {
  /** run id → performance.now() when its `task_assignment` arrived */
  readonly assignedAt = new Map<string, number>();
  /** assignments received (a run offered twice counts twice; `assignedAt` keeps the first) */
  assignments = 0;
  duplicates = 0;
  errors: string[] = [];
  closedEarly: string | null = null;
  private ws?: WebSocket;
  private heartbeat?: NodeJS.Timeout;
  private listeners: ((runId: string, at: number) => void)[] = [];

  readonly label: string;
  private readonly capacity: number;

  constructor(label: string, capacity: number) {
    this.label = label;
    this.capacity = capacity;
  }

  /** Connects, waits for `welcome` and says `hello {capacity}`; heartbeats at the pool's interval. */
  connect(url: string, apiKey: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${apiKey}` },
        perMessageDeflate: false,
      });
      this.ws = ws;
      let welcomed = false;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`host ${this.label}: no welcome from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.on("unexpected-response", (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`host ${this.label}: the pool socket answered HTTP ${res.statusCode}`));
      });
      ws.on("error", (err) => {
        if (!welcomed) {
          clearTimeout(timer);
          reject(err);
        } else this.errors.push(String(err));
      });
      ws.on("close", (code, reason) => {
        clearInterval(this.heartbeat);
        if (code !== 1000) this.closedEarly = `${code} ${reason.toString()}`;
      });
      ws.on("message", (raw) => {
        const at = performance.now();
        const f = JSON.parse(raw.toString()) as Frame;
        if (f.type === "welcome") {
          welcomed = true;
          clearTimeout(timer);
          this.send("hello", { capacity: this.capacity, version: "bench" });
          const every = f.data?.heartbeat_interval_ms ?? 10_000;
          this.heartbeat = setInterval(() => this.send("heartbeat", { running: [] }), every);
          resolve();
        } else if (f.type === "task_assignment") {
          this.onAssignment(f.data!.task_id!, at);
        } else if (f.type === "error") {
          this.errors.push(`${f.data?.code}: ${f.data?.message}`);
        }
      });
    });
  }

  /** Calls `fn` on every assignment (run id, arrival time). */
  onAssigned(fn: (runId: string, at: number) => void) {
    this.listeners.push(fn);
  }

  private onAssignment(runId: string, at: number) {
    this.assignments++;
    if (this.assignedAt.has(runId)) this.duplicates++;
    else this.assignedAt.set(runId, at);
    for (const fn of this.listeners) fn(runId, at);
    // no-op work: claim, start and complete at once (the pool handles one connection's frames in order)
    this.send("task_claimed", { task_id: runId });
    this.send("task_started", { task_id: runId });
    this.send("task_completed", { task_id: runId, message: "bench: no-op" });
  }

  private send(type: string, data: object) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type, data }));
  }

  close(): Promise<void> {
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2_000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, "bench done");
    });
  }
}
