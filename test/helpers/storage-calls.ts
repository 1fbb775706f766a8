import { vi } from "vitest";

/** Storage calls by kind (`exec`, `kv.get`, `setAlarm`, …), and each `exec`'s statement. */
export type Calls = { counts: Record<string, number>; statements: string[] };

/**
 * Watches the storage calls of every Durable Object in this isolate while `fn` runs, each under
 * the storage object it was made on (its `sql`, `kv` or the storage itself), so one object's
 * calls can be told from the others'; `probe` is any object's storage (for the prototypes).
 * Miniflare's own bookkeeping statement (the object's name, local only) is left out. Answers a
 * reader of one object's calls (by its `state.storage`). Restore with `vi.restoreAllMocks()`.
 */
export async function storageCalls(probe: DurableObjectStorage, fn: () => Promise<unknown>) {
  const seen = new Map<object, Calls>();
  const spy = (proto: object, method: string, kind: string) => {
    const methods = proto as Record<string, (...a: unknown[]) => unknown>;
    const orig = methods[method];
    return vi.spyOn(methods, method).mockImplementation(function (this: object, ...args) {
      const text = kind === "exec" ? String(args[0]).replace(/\s+/g, " ").trim() : "";
      if (!text.includes("__miniflare")) {
        const calls = seen.get(this) ?? { counts: {}, statements: [] };
        calls.counts[kind] = (calls.counts[kind] ?? 0) + 1;
        if (text) calls.statements.push(text);
        seen.set(this, calls);
      }
      return orig.apply(this, args);
    });
  };
  const storage = Object.getPrototypeOf(probe);
  spy(Object.getPrototypeOf(probe.sql), "exec", "exec");
  for (const m of ["get", "put", "delete"]) spy(Object.getPrototypeOf(probe.kv), m, `kv.${m}`);
  for (const m of ["getAlarm", "setAlarm", "deleteAlarm", "transactionSync"]) spy(storage, m, m);
  await fn();
  return (of: DurableObjectStorage): Calls => {
    const out: Calls = { counts: {}, statements: [] };
    for (const part of [of, of.sql, of.kv]) {
      const calls = seen.get(part);
      if (!calls) continue;
      for (const [k, n] of Object.entries(calls.counts)) out.counts[k] = (out.counts[k] ?? 0) + n;
      out.statements.push(...calls.statements);
    }
    return out;
  };
}
