// What the soak bench reads inside the runtime `workerd` on each sample, beside its resident
// memory: the JavaScript heap of the Worker's isolate (over the inspector, `isolate-heap.ts`) and
// how many Durable Objects have their SQLite database open (from the process's open files: a
// Durable Object the runtime has evicted has closed its database). Together they say whether
// resident growth is JavaScript we hold, Durable Objects kept alive, or neither (the runtime).
import { readdirSync, readlinkSync } from "node:fs";
import { type HeapUsage, isolateHeap } from "./isolate-heap.ts";
import { slope } from "./memory.ts";
import { round } from "./load.ts";

/** Durable Objects with their SQLite database open in process `pid`, by class. */
export function openDurableObjects(pid: number): Record<string, number> {
  const dbs = new Map<string, string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return {};
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    // <persist>/v3/do/<script>-<Class>/<id>.sqlite (and its -wal, -shm): one object, three files
    const m = target.match(/\/v3\/do\/[^/]+?-(\w+)\/([0-9a-f]{16,})\.sqlite/);
    if (m) dbs.set(m[2], m[1]);
  }
  const out: Record<string, number> = {};
  for (const cls of dbs.values()) out[cls] = (out[cls] ?? 0) + 1;
  return out;
}

type Sample = { min: number; heap: HeapUsage | null; open: Record<string, number> };

export async function runtimeProbe(inspectorPort: number, pid: () => number | undefined) {
  const heap = await isolateHeap(inspectorPort).catch(() => null);
  const samples: Sample[] = [];
  const gcs: { at: string; min: number; heap: HeapUsage | null }[] = [];
  return {
    async sample(min: number) {
      const p = pid();
      samples.push({
        min,
        heap: (await heap?.usage()) ?? null,
        open: p ? openDurableObjects(p) : {},
      });
    },
    latest: () => samples.at(-1),
    /** a full collection, then the heap: `at` names the moment (load end, after idle) */
    async collect(at: string, min: number) {
      gcs.push({ at, min, heap: (await heap?.afterGc()) ?? null });
    },
    /** heap and open objects over the load (samples up to `loadEnd` minutes) and after it */
    report(loadEnd: number) {
      const load = samples.filter((s) => s.min <= loadEnd);
      const used = load.flatMap((s) =>
        s.heap ? [[s.min, s.heap.used_mb] as [number, number]] : [],
      );
      const half = used.length ? (used[0][0] + used.at(-1)![0]) / 2 : 0;
      const open = load.map((s) => Object.values(s.open).reduce((a, b) => a + b, 0));
      const s2 = slope(used.filter(([x]) => x >= half));
      return {
        isolate_heap_mb: heap
          ? {
              first: used[0]?.[1] ?? null,
              last: used.at(-1)?.[1] ?? null,
              max: used.length ? Math.max(...used.map(([, y]) => y)) : null,
              slope_mb_per_min_second_half: s2 === null ? null : round(s2, 3),
              after_gc: gcs,
            }
          : null,
        durable_objects_open: {
          max: open.length ? Math.max(...open) : null,
          mean: open.length ? round(open.reduce((a, b) => a + b, 0) / open.length, 1) : null,
          last_by_class: samples.at(-1)?.open ?? {},
        },
      };
    },
    close: () => heap?.close(),
  };
}
