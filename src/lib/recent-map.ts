/**
 * A module-level cache of values for `ttlMs` after they were set, holding at most `max`. Entries
 * stay in the order they were set, so each `set` drops the expired ones from the oldest end: the
 * map holds what the last `ttlMs` set, not every key seen until it reaches `max` (the soak bench
 * found the gateway's upstream cache keeping 1,000 runs' expired entries, each a promise tied to
 * the request that made it and a decrypted provider key; bench/README.md, `soak`).
 */
export function recentMap<V>(opts: { ttlMs: number; max: number }) {
  const entries = new Map<string, { at: number; value: V }>();
  return {
    /** the value set less than `ttlMs` ago, if any */
    get(key: string, now = Date.now()): V | undefined {
      const hit = entries.get(key);
      return hit && now - hit.at < opts.ttlMs ? hit.value : undefined;
    },
    set(key: string, value: V, now = Date.now()) {
      for (const [k, e] of entries) {
        if (now - e.at < opts.ttlMs) break;
        entries.delete(k);
      }
      // past the bound with every entry fresh, the oldest goes
      if (entries.size >= opts.max && !entries.has(key))
        entries.delete(entries.keys().next().value!);
      entries.delete(key); // set again, it moves to the newest end
      entries.set(key, { at: now, value });
    },
    /** drops `key` if it still holds `value` (a failed resolution must not stay cached) */
    forget(key: string, value: V) {
      if (entries.get(key)?.value === value) entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
