// The fanout benchmark's viewers, spread over worker threads (bench/lib/viewer-thread.ts): 200
// viewers at 200 events/s is 40,000 events a second to receive and check, too much for the one
// thread that also holds the host's socket and sends on schedule. Each thread timestamps its
// frames itself, with the clock the host stamps the events with, so where a frame waited for a
// thread is part of the latency measured and nothing is left out.
import { Worker } from "node:worker_threads";
import type { FromThread, ToThread, ViewerResult } from "./viewer-thread.ts";

type Thread = {
  worker: Worker;
  last: Extract<FromThread, { type: "status" }> | null;
  waiting: ((m: FromThread) => void) | null;
};

export class ViewerPool {
  private readonly threads: Thread[] = [];
  private readonly urls: string[];

  /** `threads` worker threads (fewer when there are fewer urls), each holding every `threads`-th url. */
  constructor(urls: string[], threads: number, deflate: boolean) {
    this.urls = urls;
    const count = Math.max(1, Math.min(threads, urls.length));
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL("./viewer-thread.ts", import.meta.url), {
        workerData: { deflate },
      });
      const t: Thread = { worker, last: null, waiting: null };
      worker.on("message", (m: FromThread) => {
        if (m.type === "status") t.last = m;
        else t.waiting?.(m);
      });
      worker.on("error", (err) => t.waiting?.({ type: "failed", error: String(err) }));
      this.threads.push(t);
    }
  }

  get size() {
    return this.threads.length;
  }

  private ask(t: Thread, m: ToThread): Promise<FromThread> {
    return new Promise((resolve) => {
      t.waiting = resolve;
      t.worker.postMessage(m);
    });
  }

  async connect() {
    const shares = this.threads.map((_, i) =>
      this.urls.filter((__, k) => k % this.threads.length === i),
    );
    const answers = await Promise.all(
      this.threads.map((t, i) => this.ask(t, { type: "connect", urls: shares[i] })),
    );
    const failed = answers.find((a) => a.type === "failed");
    if (failed)
      throw new Error(`a viewer could not attach: ${(failed as { error: string }).error}`);
  }

  /** The fewest connections any viewer's last presence frame counted (as of the threads' last status). */
  get attachedMin() {
    return Math.min(...this.threads.map((t) => t.last?.attachedMin ?? 0));
  }

  /** The fewest events any viewer got so far. */
  get deliveredMin() {
    return Math.min(...this.threads.map((t) => t.last?.deliveredMin ?? 0));
  }

  /** Events delivered to all viewers together so far. */
  get deliveredSum() {
    return this.threads.reduce((s, t) => s + (t.last?.deliveredSum ?? 0), 0);
  }

  /** Every viewer's figures (the sockets stay open). */
  async collect(): Promise<ViewerResult[]> {
    const answers = await Promise.all(this.threads.map((t) => this.ask(t, { type: "collect" })));
    return answers.flatMap((a) => (a.type === "results" ? a.viewers : []));
  }

  async close() {
    await Promise.all(this.threads.map((t) => this.ask(t, { type: "close" })));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
