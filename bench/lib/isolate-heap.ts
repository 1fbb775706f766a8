// The JavaScript heap of the local Worker's isolate (the Worker and every Durable Object of its
// script share one locally), read over `wrangler dev`'s inspector port (Chrome DevTools
// Protocol): what the soak bench compares with the runtime `workerd`'s resident memory to tell
// growth in our JavaScript from growth in the runtime (SQLite, Durable Object bookkeeping,
// allocator). Reading the usage costs the isolate nothing; a collection pauses it for a few ms.
import WebSocket from "ws";

export type HeapUsage = { used_mb: number; total_mb: number };

export async function isolateHeap(inspectorPort: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let id = 0;
  const pending = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
  ws.on("message", (m) => {
    const d = JSON.parse(String(m)) as { id?: number; result?: unknown; error?: unknown };
    if (d.id !== undefined) pending.get(d.id)?.(d);
    if (d.id !== undefined) pending.delete(d.id);
  });
  // a call the inspector does not answer (the runtime restarting) must not hang the bench
  const call = (method: string) =>
    new Promise<unknown>((resolve) => {
      const i = ++id;
      const timer = setTimeout(() => (pending.delete(i), resolve(null)), 10_000);
      pending.set(i, (r) => (clearTimeout(timer), resolve(r.result ?? null)));
      ws.send(JSON.stringify({ id: i, method }));
    });
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return {
    /** heap in use and reserved, MB; null if the inspector did not answer */
    async usage(): Promise<HeapUsage | null> {
      const r = (await call("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
      return r ? { used_mb: mb(r.usedSize), total_mb: mb(r.totalSize) } : null;
    },
    /** the heap after a full collection: what the isolate really holds on to */
    async afterGc(): Promise<HeapUsage | null> {
      await call("HeapProfiler.collectGarbage");
      return this.usage();
    },
    close: () => ws.close(),
  };
}
