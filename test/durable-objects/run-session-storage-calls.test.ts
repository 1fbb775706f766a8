// What a no-op run's life costs its RunSession (and its pool) in storage calls (docs/scaling.md, "Dispatch
// path"): each SQLite `exec`, KV call, transaction and alarm call is synchronous work on the
// object's thread (locally, the one thread of every isolate), and each write is billed.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import { newTeam } from "../helpers/api.ts";
import { poolStub, sleep, TestHost, untilRun } from "../helpers/hosts.ts";
import { HOST_ACTOR, insertRunRow, runRow, SYSTEM_ACTOR, sessionOf } from "../helpers/runs.ts";
import { storageCalls } from "../helpers/storage-calls.ts";

const storageOf = (runId: string) =>
  runInDurableObject(sessionOf(runId), (_: RunSession, state) => state.storage);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a no-op run's RunSession, in storage calls", () => {
  it("is made, dispatched, claimed and started, and completed with 13 SQLite statements, no KV call and no alarm", async () => {
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
    const calls = callsOf(storage).counts;
    expect(calls).toEqual({
      // which tables exist (none), then the tables and their version in one script; per change
      // its events and the run (with the first, the run's row and `run.created`); the ended
      // run's log read whole for its R2 transcript, and its archived_seq (with the write-back's
      // synced_seq and the platform events' cursor). No one hears the run's platform events, so
      // their cursor rides on the run's row, never a KV write of its own
      exec: 2 + (2 + 2) + (2 + 1) + (1 + 1) + 2,
      transactionSync: 4, // the creation, and each change
      // no alarm: the pool holding the run watches its deadline (host-pool/holds.ts)
    });
    expect(await runInDurableObject(sessionOf(row.id), (_, st) => st.storage.getAlarm())).toBe(
      null,
    );
  });
});

describe("a run's HostPool, in storage calls", () => {
  it("marks a claim with one UPDATE, reads no hold from its table, and pumps only after the report that frees a slot", async () => {
    const team = await newTeam("pool-calls");
    const host = await TestHost.connect(team.key, "w-calls", { capacity: 2 });
    const row = await insertRunRow(team, { worker_host: "w-calls" });
    const pool = poolStub(team.teamId, "w-calls");
    const offer = { runId: row.id, teamId: team.teamId, pool: "w-calls", executionId: 1 };
    expect(await pool.offer(offer)).toEqual({ ok: true, status: "assigned" });
    await host.assignmentOf(row.id);
    const poolStorage = await runInDurableObject(pool, (_: HostPool, state) => state.storage);
    const live = async (report: () => void, state: string) => {
      const callsOf = await storageCalls(poolStorage, async () => {
        report();
        await untilRun(team.key, row.id, (r) => r.state === state, state);
        await sleep(100); // what the pool does after the session answered
      });
      vi.restoreAllMocks();
      return callsOf(poolStorage).statements;
    };
    // the holds are read once per instance (the offer above did): a claim is one UPDATE, a start
    // writes nothing, and neither pumps
    expect(await live(() => host.claim(row.id), "CLAIMED")).toEqual([
      "UPDATE held SET claimed = 1 WHERE run_id = ?",
    ]);
    expect(await live(() => host.start(row.id), "INPROGRESS")).toEqual([]);
    // the completion frees the slot: the pump looks in line for the next run
    const done = await live(() => host.complete(row.id), "SUCCEEDED");
    expect(done.slice(0, 2)).toEqual([
      "DELETE FROM held WHERE run_id = ?",
      "SELECT * FROM line WHERE retry_at IS NULL OR retry_at <= ? ORDER BY enqueued_at, run_id LIMIT 1",
    ]);
    // (the line's refresh may read its head after it: a timer of its own, not this report's)
    expect(done.filter((s) => s.startsWith("SELECT") && s.includes("FROM held"))).toEqual([]);
    host.close();
  });
});
