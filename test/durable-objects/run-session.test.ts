import { evictDurableObject, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import type { RunCommand } from "../../durable-objects/run-session/state-machine.ts";
import type { RunRecord } from "../../durable-objects/run-session/storage.ts";
import { writeSummary } from "../../durable-objects/run-session/summary.ts";
import { hostPool } from "../../durable-objects/stubs.ts";
import { uuidv7 } from "../../src/lib/ids.ts";
import { call, newTeam } from "../helpers/api.ts";
import {
  createRun,
  eventsOf,
  insertRunRow,
  RUNS,
  runRow,
  sessionOf,
  untilDispatched,
} from "../helpers/runs.ts";

const SYSTEM = { type: "system" as const, id: "system" };
const HOST = { type: "host" as const, id: "host-1" };

/** The session's own SQLite tables, read inside the Durable Object. */
async function storageOf(runId: string) {
  return runInDurableObject(sessionOf(runId), (_: RunSession, state) => ({
    run: state.storage.sql
      .exec<
        Omit<RunRecord, "started_by" | "stop_status"> & {
          status_message: string | null;
          started_by: string;
          stop_status: string | null;
        }
      >("SELECT * FROM run")
      .toArray()
      .map((r) => ({
        ...r,
        started_by: JSON.parse(r.started_by) as RunRecord["started_by"],
        stop_status: r.stop_status ? JSON.parse(r.stop_status) : null,
      })),
    seqs: state.storage.sql
      .exec<{ seq: number }>("SELECT seq FROM events ORDER BY seq")
      .toArray()
      .map((r) => r.seq),
  }));
}

/** A run created through the API, offered to its pool (no host: it waits), with its session open. */
async function newRun(prompt = "Fix the flaky test") {
  const team = await newTeam("session");
  const runId = await createRun(team.key, { prompt });
  const ref = { runId, teamId: team.teamId };
  await untilDispatched(ref);
  await eventsOf(ref);
  return { team, runId, ref };
}

const hasSession = async (runId: string) =>
  (await listDurableObjectIds(env.RUN_SESSION)).some((id) =>
    id.equals(env.RUN_SESSION.idFromName(runId)),
  );

describe("RunSession", () => {
  it("opens on the run's first use, from its D1 row: until then the pool says on the row alone why the run waits", async () => {
    const team = await newTeam("session");
    const runId = await createRun(team.key, { prompt: "Fix the flaky test" });
    const ref = { runId, teamId: team.teamId };
    const row = await untilDispatched(ref);
    const waiting = JSON.parse(row.status_message!);
    expect(waiting.message).toMatch(/^Waiting: no host is connected for worker_host=warp/);
    expect(row).toMatchObject({ state: "QUEUED", summary_seq: 1 });
    // created, offered to its pool and told why it waits: no Durable Object of its own yet
    expect(await hasSession(runId)).toBe(false);
    // the first read opens it: its log starts with the run as the row has it, created by its creator
    expect(await eventsOf(ref)).toEqual([
      {
        seq: 1,
        type: "run.created",
        at: new Date(row.created_at).toISOString(),
        actor: { type: "user", id: team.userId },
        execution_id: 1,
        payload: { state: "QUEUED", prompt: "Fix the flaky test", status_message: waiting },
      },
    ]);
    expect(await hasSession(runId)).toBe(true);
    const { run } = await storageOf(runId);
    expect(run).toEqual([
      expect.objectContaining({
        id: runId,
        team_id: team.teamId,
        state: "QUEUED",
        summary_seq: 1,
        synced_seq: 1,
      }),
    ]);
    expect(await runRow(runId)).toEqual(row);
  });

  it("once open, a waiting run's session is told by its pool why it waits (run.waiting), and keeps the row in step", async () => {
    const team = await newTeam("session");
    const row = await insertRunRow(team, { worker_host: "w-open" }); // QUEUED, not offered yet
    const ref = { runId: row.id, teamId: team.teamId };
    expect(await eventsOf(ref)).toHaveLength(1); // opened before its pool had it: it asked to be told
    const pool = hostPool(env, team.teamId, "w-open");
    expect(
      await pool.offer({ runId: row.id, teamId: team.teamId, pool: "w-open", executionId: 1 }),
    ).toEqual({ ok: true, status: "waiting" });
    const events = (await eventsOf(ref))!;
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, "run.created"],
      [2, "run.waiting"],
    ]);
    expect(events[1]).toMatchObject({
      actor: { type: "system", id: "dispatch" },
      payload: {
        status_message: {
          message: expect.stringMatching(/^Waiting: no host is connected for worker_host=w-open/),
        },
      },
    });
    expect(await runRow(row.id)).toMatchObject({
      summary_seq: 2,
      status_message: JSON.stringify(events[1].payload.status_message),
    });
  });

  it("init is idempotent and never resets a run", async () => {
    const { runId, ref } = await newRun();
    const row = (await runRow(runId))!;
    const init = {
      ...ref,
      state: "QUEUED" as const,
      createdAt: row.created_at,
      statusMessage: null,
      actor: SYSTEM,
    };
    expect(await sessionOf(runId).init(init)).toEqual({
      ok: true,
      state: "QUEUED",
      seq: 1,
      execution_id: 1,
    });
    expect(await sessionOf(runId).init(init)).toEqual({
      ok: true,
      state: "QUEUED",
      seq: 1,
      execution_id: 1,
    });
    expect(await eventsOf(ref)).toHaveLength(1);
    await sessionOf(runId).cancel(ref, SYSTEM);
    expect(await sessionOf(runId).init(init)).toEqual({
      ok: true,
      state: "CANCELLED",
      seq: 2,
      execution_id: 1,
    });
    expect((await storageOf(runId)).seqs).toEqual([1, 2]);
    // a session belongs to one run: init for another id is refused, as a value
    expect(await sessionOf(runId).init({ ...init, runId: uuidv7() })).toMatchObject({
      ok: false,
      code: "resource_not_found",
    });
  });

  it("keeps the D1 row in step with every transition, seq 1..n without gaps", async () => {
    const { team, runId, ref } = await newRun();
    const steps: [RunCommand, string][] = [
      ["dispatch", "PENDING"],
      ["requeue", "QUEUED"],
      ["dispatch", "PENDING"],
      ["claim", "CLAIMED"],
      ["start", "INPROGRESS"],
      ["block", "BLOCKED"],
      ["unblock", "INPROGRESS"],
      ["succeed", "SUCCEEDED"],
      ["reopen", "QUEUED"],
      ["dispatch", "PENDING"],
      ["claim", "CLAIMED"],
      ["start", "INPROGRESS"],
      ["fail", "FAILED"],
    ];
    let seq = 1;
    let lastUpdated = (await runRow(runId))!.updated_at;
    let firstStart: number | null = null;
    let execution = 1;
    for (const [command, state] of steps) {
      const message = { message: `${command} happened` };
      const result = await sessionOf(runId).command(ref, command, HOST, message);
      if (command === "reopen") execution++; // a reopened run starts its next execution
      // a dispatch also says who started the execution: the creator, then whoever reopened it (here HOST)
      const startedBy =
        command === "dispatch"
          ? { started_by: execution === 1 ? { type: "user", id: team.userId } : HOST }
          : {};
      expect(result, command).toEqual({
        ok: true,
        state,
        seq: ++seq,
        execution_id: execution,
        ...startedBy,
      });
      const row = (await runRow(runId))!;
      const [stored] = (await storageOf(runId)).run;
      expect({ state: row.state, summary_seq: row.summary_seq }, command).toEqual({
        state,
        summary_seq: seq,
      });
      expect(row.updated_at, command).toBe(stored.updated_at);
      expect(row.updated_at, command).toBeGreaterThanOrEqual(lastUpdated);
      lastUpdated = row.updated_at;
      expect(JSON.parse(row.status_message!), command).toEqual(message);
      if (state === "INPROGRESS") firstStart ??= row.started_at;
      expect(row.started_at, command).toBe(firstStart);
      if (["SUCCEEDED", "FAILED"].includes(state))
        expect(row.ended_at, command).toBe(row.updated_at);
      else expect(row.ended_at, command).toBeNull();
    }
    expect(firstStart).not.toBeNull();
    const events = (await eventsOf(ref))!;
    expect(events.map((e) => e.seq)).toEqual(
      Array.from({ length: steps.length + 1 }, (_, i) => i + 1),
    );
    expect(events.slice(1).map((e) => [e.payload.from, e.payload.to, e.payload.command])).toEqual(
      steps.map(([command, to], i) => [i === 0 ? "QUEUED" : steps[i - 1][1], to, command]),
    );
    // the reopen is recorded in the execution it ends and names the one it starts
    const reopenAt = steps.findIndex(([c]) => c === "reopen") + 1;
    expect(events.map((e) => e.execution_id)).toEqual(
      events.map((_, i) => (i <= reopenAt ? 1 : 2)),
    );
    expect(events[reopenAt].payload.execution_id).toBe(2);
    expect((await storageOf(runId)).seqs).toEqual(events.map((e) => e.seq));
    // the API reads the projection: no Durable Object in the list path, yet the state is current
    const got = (await call("GET", `${RUNS}/${runId}`, { key: team.key })).json;
    expect(got).toMatchObject({
      state: "FAILED",
      status_message: { message: "fail happened" },
      started_at: new Date(firstStart!).toISOString(),
    });
    expect(got.run_time).toMatch(/^PT/);
  });

  it("pages its event log by seq", async () => {
    const { runId, ref } = await newRun();
    for (const c of ["dispatch", "requeue", "dispatch", "requeue"] as RunCommand[])
      await sessionOf(runId).command(ref, c, SYSTEM);
    expect((await eventsOf(ref, 2))!.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await eventsOf(ref, 1, 2))!.map((e) => e.seq)).toEqual([2, 3]);
    expect(await eventsOf(ref, 5)).toEqual([]);
  });

  it("never moves the D1 summary backwards", async () => {
    const { runId, ref } = await newRun();
    await sessionOf(runId).command(ref, "dispatch", SYSTEM);
    await sessionOf(runId).command(ref, "claim", HOST);
    const current = (await runRow(runId))!;
    expect(current).toMatchObject({ state: "CLAIMED", summary_seq: 3 });
    const [stored] = (await storageOf(runId)).run;
    const record: RunRecord = { ...stored, status_message: null };
    // a late write of an older summary, and a repeat of the current one, change nothing
    await writeSummary(env.DB, {
      ...record,
      state: "PENDING",
      summary_seq: 2,
      updated_at: current.updated_at - 1,
    });
    await writeSummary(env.DB, { ...record, state: "QUEUED", summary_seq: 1 });
    await writeSummary(env.DB, { ...record, state: "ERROR", summary_seq: 3, ended_at: Date.now() });
    expect(await runRow(runId)).toEqual(current);
    // a newer one moves it
    await writeSummary(env.DB, { ...record, state: "INPROGRESS", summary_seq: 4, started_at: 123 });
    expect(await runRow(runId)).toMatchObject({
      state: "INPROGRESS",
      summary_seq: 4,
      started_at: 123,
    });
  });

  it("a wait reason updates the row's status_message without moving updated_at (lists sorted by it stay put)", async () => {
    const team = await newTeam("session");
    const runId = await createRun(team.key);
    const ref = { runId, teamId: team.teamId };
    // told by its pool before its session opened: on the row alone
    const told = await untilDispatched(ref);
    expect(JSON.parse(told.status_message as string).message).toMatch(
      /^Waiting: no host is connected/,
    );
    expect(told).toMatchObject({ state: "QUEUED", updated_at: told.created_at, summary_seq: 1 });
    // told through its open session
    await eventsOf(ref);
    expect(
      await sessionOf(runId).waiting(ref, { message: "Waiting: the team is at its limit" }),
    ).toMatchObject({ ok: true, seq: 2 });
    const waiting = (await runRow(runId))!;
    expect(waiting).toMatchObject({
      state: "QUEUED",
      updated_at: told.created_at,
      summary_seq: 2,
      status_message: JSON.stringify({ message: "Waiting: the team is at its limit" }),
    });
    const created = told;
    // a real change still moves it
    await sessionOf(runId).cancel(ref, SYSTEM);
    const cancelled = (await runRow(runId))!;
    expect(cancelled.state).toBe("CANCELLED");
    expect(cancelled.updated_at).toBeGreaterThanOrEqual(created.updated_at);
    expect(cancelled.ended_at).toEqual(expect.any(Number));
  });

  it("leaves out of the UPDATE only the columns the row is known to hold already", async () => {
    const { runId } = await newRun();
    const before = (await runRow(runId))!;
    const [stored] = (await storageOf(runId)).run;
    const record: RunRecord = { ...stored, status_message: { message: "m" } };
    const known = {
      state: "QUEUED" as const,
      updated_at: before.updated_at,
      started_at: null,
      ended_at: null,
    };
    // `known` says what D1 holds: a column equal to it is not written, one that differs is
    await writeSummary(
      env.DB,
      { ...record, summary_seq: 10, state: "PENDING" },
      { ...known, state: "PENDING" },
    );
    expect(await runRow(runId)).toMatchObject({
      state: "QUEUED",
      status_message: JSON.stringify({ message: "m" }),
      summary_seq: 10,
    });
    await writeSummary(
      env.DB,
      { ...record, summary_seq: 11, state: "PENDING", started_at: 5 },
      known,
    );
    expect(await runRow(runId)).toMatchObject({
      state: "PENDING",
      started_at: 5,
      summary_seq: 11,
      updated_at: before.updated_at,
    });
    expect((await writeSummary(env.DB, { ...record, summary_seq: 11 }, known)).took).toBe(false); // not newer: refused
  });

  it("writes a summary only to its own team's row", async () => {
    const { runId } = await newRun();
    const before = await runRow(runId);
    const [stored] = (await storageOf(runId)).run;
    await writeSummary(env.DB, {
      ...stored,
      status_message: null,
      team_id: "another-team",
      state: "ERROR",
      summary_seq: 99,
    });
    expect(await runRow(runId)).toEqual(before);
  });

  describe("a session whose init never happened", () => {
    it.each([0, 1])(
      "rebuilds itself from the D1 row (summary_seq %i) on first use, then cancels",
      async (summarySeq) => {
        const team = await newTeam("rebuild");
        await createRun(team.key); // the team's ordinary runs are unaffected
        const row = await insertRunRow(team, {
          summary_seq: summarySeq,
          created_at: Date.now() - 60_000,
        });
        const ref = { runId: row.id, teamId: team.teamId };
        const res = await call("POST", `${RUNS}/${row.id}/cancel`, { key: team.key });
        expect(res.status, res.text).toBe(200);
        const events = (await eventsOf(ref))!;
        expect(events.map((e) => [e.seq, e.type])).toEqual([
          [1, "run.created"],
          [2, "run.state_changed"],
        ]);
        expect(events[0]).toMatchObject({
          actor: { type: "user", id: team.userId },
          at: new Date(row.created_at).toISOString(),
          payload: { state: "QUEUED" },
        });
        expect(events[1]).toMatchObject({
          actor: { type: "user", id: team.userId },
          payload: { from: "QUEUED", to: "CANCELLED" },
        });
        expect(await runRow(row.id)).toMatchObject({
          state: "CANCELLED",
          summary_seq: 2,
          ended_at: expect.any(Number),
        });
        const [stored] = (await storageOf(row.id)).run;
        expect(stored).toMatchObject({
          state: "CANCELLED",
          created_at: row.created_at,
          summary_seq: 2,
          synced_seq: 2,
        });
      },
    );

    it("rebuilds once when first used by simultaneous callers", async () => {
      const team = await newTeam("rebuild");
      const row = await insertRunRow(team, { summary_seq: 1 });
      const results = await Promise.all(
        [1, 2, 3].map(() => call("POST", `${RUNS}/${row.id}/cancel`, { key: team.key })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
      const events = (await eventsOf({ runId: row.id, teamId: team.teamId }))!;
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, "run.created"],
        [2, "run.state_changed"],
      ]);
      expect((await storageOf(row.id)).run).toHaveLength(1);
    });

    it("keeps the row's state and start time when it rebuilds a run already under way", async () => {
      const team = await newTeam("rebuild");
      const startedAt = Date.now() - 30_000;
      const row = await insertRunRow(team, {
        state: "INPROGRESS",
        started_at: startedAt,
        updated_at: startedAt,
        summary_seq: 1,
        created_at: startedAt - 5_000,
      });
      const ref = { runId: row.id, teamId: team.teamId };
      expect(await sessionOf(row.id).command(ref, "succeed", HOST)).toEqual({
        ok: true,
        state: "SUCCEEDED",
        seq: 2,
        execution_id: 1,
      });
      const after = (await runRow(row.id))!;
      expect(after).toMatchObject({ state: "SUCCEEDED", started_at: startedAt, summary_seq: 2 });
      expect(after.ended_at).toBeGreaterThanOrEqual(startedAt);
    });

    it("answers resource_not_found, as a value, for a run D1 does not have or that is another team's", async () => {
      const team = await newTeam("rebuild");
      const other = await newTeam("rebuild");
      const ghost = uuidv7();
      await expect(
        sessionOf(ghost).cancel({ runId: ghost, teamId: team.teamId }, SYSTEM),
      ).resolves.toMatchObject({ ok: false, code: "resource_not_found" });
      await expect(eventsOf({ runId: ghost, teamId: team.teamId })).resolves.toBeNull();
      const row = await insertRunRow(team);
      await expect(
        sessionOf(row.id).command({ runId: row.id, teamId: other.teamId }, "dispatch", SYSTEM),
      ).resolves.toMatchObject({
        ok: false,
        code: "resource_not_found",
      });
      expect(await runRow(row.id)).toMatchObject({ state: "QUEUED", summary_seq: 0 });
    });
  });

  it("keeps state and events across eviction", async () => {
    const { runId, ref } = await newRun();
    await sessionOf(runId).command(ref, "dispatch", SYSTEM);
    await sessionOf(runId).command(ref, "claim", HOST);
    const before = await eventsOf(ref);
    await evictDurableObject(sessionOf(runId));
    expect(await eventsOf(ref)).toEqual(before);
    expect(await sessionOf(runId).command(ref, "start", HOST)).toEqual({
      ok: true,
      state: "INPROGRESS",
      seq: 4,
      execution_id: 1,
    });
    await evictDurableObject(sessionOf(runId));
    const [stored] = (await storageOf(runId)).run;
    // how far D1 took the summary is stored with the run's next write, not by a write of its own
    // (Session.syncSummary): here it lags, and the restarted session writes the row once more
    expect(stored).toMatchObject({
      state: "INPROGRESS",
      summary_seq: 4,
      synced_seq: 2,
      started_at: expect.any(Number),
    });
    expect((await eventsOf(ref))!.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const row = await runRow(runId);
    expect(row).toMatchObject({ state: "INPROGRESS", summary_seq: 4 });
    // a change after the restart: D1 follows it, and nothing went backwards meanwhile
    expect(await sessionOf(runId).command(ref, "succeed", HOST)).toMatchObject({ seq: 5 });
    expect(await runRow(runId)).toMatchObject({ state: "SUCCEEDED", summary_seq: 5 });
    await evictDurableObject(sessionOf(runId));
    // an ended run's archive stores it at last
    expect((await storageOf(runId)).run[0]).toMatchObject({ summary_seq: 5, synced_seq: 5 });
  });

  it("answers refused commands with values, not exceptions, and changes nothing", async () => {
    const { runId, ref } = await newRun();
    const before = await runRow(runId);
    for (const command of [
      "start",
      "claim",
      "succeed",
      "unblock",
      "reopen",
      "requeue",
      "block",
      "fail",
    ] as RunCommand[]) {
      const result = await sessionOf(runId).command(ref, command, HOST);
      expect(result, command).toEqual({
        ok: false,
        code: "invalid_request",
        message: expect.stringContaining("QUEUED"),
      });
    }
    expect(await runRow(runId)).toEqual(before);
    expect((await storageOf(runId)).seqs).toEqual([1]);
    await sessionOf(runId).cancel(ref, SYSTEM);
    const ended = await sessionOf(runId).cancel(ref, SYSTEM);
    expect(ended).toEqual({
      ok: false,
      code: "invalid_request",
      message: expect.stringContaining("already ended (CANCELLED)"),
    });
    expect(await sessionOf(runId).command(ref, "dispatch", SYSTEM)).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
    expect((await storageOf(runId)).seqs).toEqual([1, 2]);
  });

  it("marks a held run cancel_requested without ending it, once", async () => {
    const { team, runId, ref } = await newRun();
    await sessionOf(runId).command(ref, "dispatch", SYSTEM);
    await sessionOf(runId).command(ref, "claim", HOST);
    const rowBefore = await runRow(runId);
    const user = { type: "user" as const, id: team.userId };
    expect(await sessionOf(runId).cancel(ref, user)).toEqual({
      ok: true,
      state: "CLAIMED",
      seq: 4,
      execution_id: 1,
    });
    expect(await sessionOf(runId).cancel(ref, user)).toEqual({
      ok: true,
      state: "CLAIMED",
      seq: 3,
      execution_id: 1,
    });
    const events = (await eventsOf(ref))!;
    expect(events.map((e) => e.type)).toEqual([
      "run.created",
      "run.state_changed",
      "run.state_changed",
      "run.cancel_requested",
    ]);
    expect(events[3]).toMatchObject({ seq: 4, actor: user, payload: { state: "CLAIMED" } });
    const [stored] = (await storageOf(runId)).run;
    expect(stored).toMatchObject({
      state: "CLAIMED",
      cancel_requested_at: expect.any(Number),
      ended_at: null,
    });
    expect(await runRow(runId)).toEqual(rowBefore);
    // the host confirms: the run ends CANCELLED, the mark is cleared by the next state
    expect(await sessionOf(runId).command(ref, "cancel", HOST)).toEqual({
      ok: true,
      state: "CANCELLED",
      seq: 5,
      execution_id: 1,
    });
    expect(await runRow(runId)).toMatchObject({ state: "CANCELLED", summary_seq: 5 });
  });

  it("keeps a cancel request while the run moves on (the host was told and must confirm); a new execution drops it", async () => {
    const { runId, ref } = await newRun();
    await sessionOf(runId).command(ref, "dispatch", SYSTEM);
    await sessionOf(runId).command(ref, "claim", HOST);
    await sessionOf(runId).cancel(ref, SYSTEM);
    const requestedAt = (await storageOf(runId)).run[0].cancel_requested_at;
    expect(requestedAt).toEqual(expect.any(Number));
    await sessionOf(runId).command(ref, "start", HOST); // crossed the cancellation on the wire
    expect((await storageOf(runId)).run[0].cancel_requested_at).toBe(requestedAt);
    // asking again records nothing new
    const again = await sessionOf(runId).cancel(ref, SYSTEM);
    expect(again).toMatchObject({ ok: true, state: "INPROGRESS" });
    expect((await eventsOf(ref))!.filter((e) => e.type === "run.cancel_requested")).toHaveLength(1);
    await sessionOf(runId).command(ref, "error", SYSTEM);
    await sessionOf(runId).followup(ref, SYSTEM, { message: "again" });
    expect((await storageOf(runId)).run[0].cancel_requested_at).toBeNull();
  });
});
