// A scripted host for e2e tests, in the test's own process: it connects to the team's pool socket
// (the `ws` package, to send the bearer key), answers with the host protocol, and writes a run's
// events on the run's session socket with the HOST token of its assignment — as a real runner does.
import WebSocket from "ws";
import { type Json, waitFor } from "./helpers.ts";

export class ScriptedHost {
  readonly frames: Json[] = [];
  private hostSeq = 0;
  private sessions = new Map<string, WebSocket>();

  readonly baseUrl: string;
  private readonly pool: WebSocket;

  // fields assigned by hand, not as parameter properties: Node runs this file by type stripping
  private constructor(baseUrl: string, pool: WebSocket) {
    this.baseUrl = baseUrl;
    this.pool = pool;
    pool.on("message", (d) => this.frames.push(JSON.parse(d.toString())));
  }

  /** Connects as `workerId`, waits for `welcome` and says hello with `capacity` (and `hello`). */
  static async connect(
    baseUrl: string,
    key: string,
    workerId: string,
    capacity = 4,
    hello: Json = {},
  ) {
    const url = `${baseUrl.replace(/^http/, "ws")}/api/v1/selfhosted/worker/ws?worker_id=${encodeURIComponent(workerId)}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    const host = new ScriptedHost(baseUrl, ws);
    await host.until("welcome", (f) => f.type === "welcome");
    host.send("hello", { ...hello, capacity });
    return host;
  }

  send(type: string, data: Json) {
    this.pool.send(JSON.stringify({ type, data }));
  }

  async until(what: string, pred: (f: Json) => boolean, timeoutMs = 20_000): Promise<Json> {
    let found: Json | undefined;
    const ok = await waitFor(() => !!(found = this.frames.find(pred)), timeoutMs, 20);
    if (!ok || !found)
      throw new Error(
        `host: no ${what} within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames).slice(0, 1500)}`,
      );
    return found;
  }

  /** Waits for the assignment of the run whose prompt is `prompt`; answers its run id. */
  async assignedRun(prompt: string): Promise<string> {
    return (
      await this.until(
        `a run with prompt ${prompt}`,
        (f) => f.type === "task_assignment" && f.data.task.prompt === prompt,
      )
    ).data.task_id;
  }

  /** Waits for the run's assignment, claims and starts it, and opens its session socket as HOST. */
  async take(runId: string) {
    const a = await this.until(
      `the assignment of ${runId}`,
      (f) => f.type === "task_assignment" && f.data.task_id === runId,
    );
    this.send("task_claimed", { task_id: runId });
    this.send("task_started", { task_id: runId });
    const url = `${this.baseUrl.replace(/^http/, "ws")}${a.data.session.path}?token=${encodeURIComponent(a.data.session.token)}`;
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    this.sessions.set(runId, ws);
    return a.data as Json;
  }

  /** Appends events to the run's log (as the host's harness would) and waits for the ack. */
  async append(runId: string, events: Array<{ type: string; payload: Json }>) {
    const ws = this.sessions.get(runId)!;
    const ref = `r${++this.hostSeq}`;
    const acked = new Promise<Json>((resolve) => {
      const onMsg = (d: WebSocket.RawData) => {
        const f = JSON.parse(d.toString());
        if (f.type === "ack" && f.ref === ref) {
          ws.off("message", onMsg);
          resolve(f);
        }
      };
      ws.on("message", onMsg);
    });
    ws.send(
      JSON.stringify({
        type: "append",
        ref,
        events: events.map((e) => ({ host_seq: ++this.hostSeq, ...e })),
      }),
    );
    const ack = await acked;
    if (ack.refused?.length) throw new Error(`events refused: ${JSON.stringify(ack.refused)}`);
    return ack;
  }

  complete(runId: string, message = "done") {
    this.send("task_completed", { task_id: runId, message });
  }

  fail(runId: string, message: string, extra: Json = {}) {
    this.send("task_failed", { task_id: runId, message, ...extra });
  }

  close() {
    for (const ws of this.sessions.values()) ws.close();
    this.pool.close();
  }
}
