// What a no-op run's life costs its RunSession in storage calls (docs/scaling.md, "Dispatch
// path"): each SQLite `exec`, KV call, transaction and alarm call is synchronous work on the
// object's thread (locally, the one thread of every isolate), and each write is billed.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import { newTeam } from "../helpers/api.ts";
import { HOST_ACTOR, insertRunRow, runRow, SYSTEM_ACTOR, sessionOf } from "../helpers/runs.ts";

type Calls = Record<string, number>;

/**
 * Counts, by kind, the storage calls of every Durable Object in this isolate while `fn` runs,
 * each under the storage object it was made on (its `sql`, `kv` or the storage itself), so one
 * object's calls can be told from the others'. Miniflare's own bookkeeping statement (the
 * object's name, local only) is left out.
 */
async function storageCalls(probe: DurableObjectStorage, fn: () => Promise<unknown>) {
  const seen = new Map<object, Calls>();
  const spy = (proto: object, method: string, kind: string) => {
    const methods = proto as Record<string, (...a: unknown[]) => unknown>;
    const orig = methods[method];
    return vi.spyOn(methods, method).mockImplementation(function (this: object, ...args) {
      if (!(kind === "exec" && String(args[0]).includes("__miniflare"))) {
        const calls = seen.get(this) ?? {};
        calls[kind] = (calls[kind] ?? 0) + 1;
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
    const out: Calls = {};
    for (const part of [of, of.sql, of.kv])
      for (const [k, n] of Object.entries(seen.get(part) ?? {})) out[k] = (out[k] ?? 0) + n;
    return out;
  };
}

const storageOf = (runId: string) =>
  runInDurableObject(sessionOf(runId), (_: RunSession, state) => state.storage);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a no-op run's RunSession, in storage calls", () => {
  it("is made, dispatched, claimed and started, and completed with 12 SQLite statements and 1 KV read", async () => {
    const team = await newTeam("storage-calls");
    const row = await insertRunRow(team, { worker_host: "w-calls" });
    const ref = { runId: row.id, teamId: team.teamId };
    const probe = await storageOf(crypto.randomUUID()); // another object: the prototypes
    const callsOf = await storageCalls(probe, async () => {
      const session = sessionOf(row.id);
      const status = { message: "Offered to host h-1; waiting for it to claim the run" };
      const opts = { maxRunMs: 3_600_000 };
      expect(await session.command(ref, "dispatch", SYSTEM_ACTOR, status, opts)).toMatchObject({
        ok: true,
        state: "PENDING",
      });
      const started = { type: "task_started" as const, data: { task_id: row.id } };
      expect(await session.claim(ref, HOST_ACTOR, started)).toMatchObject({ state: "INPROGRESS" });
      const done = { type: "task_completed" as const, data: { task_id: row.id, message: "ok" } };
      expect(await session.report(ref, HOST_ACTOR, done)).toMatchObject({ state: "SUCCEEDED" });
    });
    expect(await runRow(row.id)).toMatchObject({ state: "SUCCEEDED", summary_seq: 5 });
    const storage = await storageOf(row.id);
    const calls = callsOf(storage);
    expect(calls).toEqual({
      // the schema's version (read, then written with the tables)
      "kv.get": 1,
      // the tables in one script; per change its events and the run (with the first, the run's
      // row and `run.created`); the ended run's log read whole for its R2 transcript, and its
      // archived_seq
      exec: 1 + (2 + 2) + (2 + 1) + (1 + 1) + 2,
      // the version; the platform-events cursor at creation and after each change's send
      "kv.put": 1 + 1 + 3,
      transactionSync: 4, // the creation, and each change
      setAlarm: 1, // the deadline, once the run started: the alarm's time is known, not read
      deleteAlarm: 1, // and gone when the run ends, rather than wake the object for nothing
    });
      expect(await runInDurableObject(sessionOf(row.id), (_, st) => st.storage.getAlarm())).toBe(null);
  });
});
