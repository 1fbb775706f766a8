// One worker thread of the fanout benchmark's viewers (bench/lib/viewer-pool.ts starts them): it
// opens its share of the viewer sockets, timestamps every frame on receipt with the process-wide
// monotonic clock the host writes into each event (`now()` in fanout-clients.ts), reports counts
// while the case runs and every viewer's figures at the end.
import { parentPort, workerData } from "node:worker_threads";
import { setOfferDeflate, Viewer } from "./fanout-clients.ts";

/** What the pool sends: open these sockets; report the figures; close the sockets. */
export type ToThread =
  | { type: "connect"; urls: string[] }
  | { type: "collect" }
  | { type: "close" };
/** What the thread answers. `status` comes every STATUS_MS while any socket is open. */
export type FromThread =
  | { type: "connected" }
  | { type: "failed"; error: string }
  | { type: "status"; attachedMin: number; deliveredMin: number; deliveredSum: number }
  | { type: "results"; viewers: ViewerResult[] }
  | { type: "closed" };
export type ViewerResult = {
  delivered: number;
  frames: number;
  duplicates: number;
  outOfOrder: number;
  lastAt: number;
  closedEarly: string | null;
  seen: Int32Array;
  latencies: Float64Array;
  indices: Int32Array;
};

const STATUS_MS = 50;
const port = parentPort!;
await setOfferDeflate((workerData as { deflate: boolean }).deflate);
let viewers: Viewer[] = [];
let timer: ReturnType<typeof setInterval> | undefined;

const status = (): FromThread => ({
  type: "status",
  attachedMin: Math.min(...viewers.map((v) => v.attached)),
  deliveredMin: Math.min(...viewers.map((v) => v.delivered)),
  deliveredSum: viewers.reduce((s, v) => s + v.delivered, 0),
});

port.on("message", async (m: ToThread) => {
  if (m.type === "connect") {
    viewers = m.urls.map(() => new Viewer());
    try {
      // 20 at a time, as the single-threaded bench did: the joins broadcast presence to everyone
      for (let i = 0; i < viewers.length; i += 20)
        await Promise.all(viewers.slice(i, i + 20).map((v, k) => v.connect(m.urls[i + k])));
    } catch (err) {
      return port.postMessage({ type: "failed", error: String(err) } satisfies FromThread);
    }
    timer = setInterval(() => port.postMessage(status()), STATUS_MS);
    port.postMessage({ type: "connected" } satisfies FromThread);
  } else if (m.type === "collect") {
    port.postMessage(status());
    const results: ViewerResult[] = viewers.map((v) => ({
      delivered: v.delivered,
      frames: v.frames,
      duplicates: v.duplicates,
      outOfOrder: v.outOfOrder,
      lastAt: v.lastAt,
      closedEarly: v.closedEarly,
      seen: Int32Array.from(v.seen),
      latencies: Float64Array.from(v.latencies),
      indices: Int32Array.from(v.indices),
    }));
    port.postMessage(
      { type: "results", viewers: results } satisfies FromThread,
      results.flatMap(
        (r) => [r.seen.buffer, r.latencies.buffer, r.indices.buffer] as ArrayBuffer[],
      ),
    );
  } else if (m.type === "close") {
    clearInterval(timer);
    await Promise.all(viewers.map((v) => v.close()));
    port.postMessage({ type: "closed" } satisfies FromThread);
    port.close();
  }
});
