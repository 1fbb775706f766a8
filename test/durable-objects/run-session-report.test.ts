import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { HostReport } from "../../durable-objects/run-session/report.ts";
import { type Json, newTeam } from "../helpers/api.ts";
import {
  advance,
  createRun,
  eventsOf,
  HOST_ACTOR,
  insertRunRow,
  runRow,
  sessionOf,
} from "../helpers/runs.ts";
import { attach } from "../helpers/sockets.ts";
import { createWebhook, receiverEndpoint } from "../helpers/webhooks.ts";

/** The team's first webhook: from then on the run's platform events have someone to go to. */
async function listen(key: string) {
  const receiver = await receiverEndpoint();
  await createWebhook(key, { url: receiver.url, event_types: ["run.completed"] });
}

/** A run its host claimed (seq 3 is the claim), with a watcher attached and past its replay. */
async function claimedRun() {
  const team = await newTeam("report");
  const row = await insertRunRow(team, { worker_host: "w-report" });
  const ref = { runId: row.id, teamId: team.teamId };
  await advance(ref, "dispatch", "claim");
  const watcher = await attach(row.id, { key: team.key });
  await watcher.untilSeq(3);
  const report = (msg: HostReport) => sessionOf(row.id).report(ref, HOST_ACTOR, msg);
  return { team, ref, watcher, report };
}

describe("RunSession.report: a holder's report is one call", () => {
  it("applies a report's changes of state in one transaction: nobody sees half of it", async () => {
    const { ref, watcher, report } = await claimedRun();
    // a host that finishes without saying task_started: the run is started, then ends SUCCEEDED
    const data = { task_id: ref.runId, message: "Done" };
    const done = await report({ type: "task_completed", data });
    const position = { ok: true, state: "SUCCEEDED", seq: 5, execution_id: 1 };
    expect(done).toEqual({ ...position, cancel_requested: false });
    const [start, succeed] = (await eventsOf(ref))!.slice(3);
    expect(start).toMatchObject({
      seq: 4,
      type: "run.state_changed",
      actor: HOST_ACTOR,
      payload: { from: "CLAIMED", to: "INPROGRESS", command: "start" },
    });
    expect(succeed).toMatchObject({
      seq: 5,
      payload: { from: "INPROGRESS", to: "SUCCEEDED", status_message: { message: "Done" } },
    });
    expect(succeed.at).toBe(start.at);
    // both changes reach a watcher in one frame, after the whole report was written
    await watcher.untilSeq(5);
    const live = watcher.frames.filter((f) => f.type === "event" || f.type === "events").at(-1)!;
    expect(live).toMatchObject({ type: "events", events: [{ seq: 4 }, { seq: 5 }] });
    // the D1 row took the report's outcome at once: started and ended together
    const row = await runRow(ref.runId);
    const status_message = JSON.stringify({ message: "Done" });
    expect(row).toMatchObject({ state: "SUCCEEDED", summary_seq: 5, status_message });
    expect(row!.started_at).toBe(row!.ended_at);
    watcher.close();
  });

  it("sends the platform events of one report in one queue message, in order", async () => {
    const { team, ref, watcher, report } = await claimedRun();
    await listen(team.key);
    const queue = Object.getPrototypeOf(env.EVENTS) as Queue;
    const send = vi.spyOn(queue, "send");
    const sendBatch = vi.spyOn(queue, "sendBatch");
    try {
      await report({ type: "task_completed", data: { task_id: ref.runId, message: "Done" } });
      expect(send).not.toHaveBeenCalled();
      expect(sendBatch).toHaveBeenCalledTimes(1);
      // packed into one message, each event with its own id
      const batch = [...sendBatch.mock.calls[0][0]];
      expect(batch).toHaveLength(1);
      const sent = (batch[0].body as { events: { id: string; type: string; data: Json }[] }).events;
      expect(new Set(sent.map((e) => e.id)).size).toBe(3);
      expect(sent.map((e) => [e.type, e.data.state])).toEqual([
        ["run.state_changed", "INPROGRESS"],
        ["run.state_changed", "SUCCEEDED"],
        ["run.completed", "SUCCEEDED"],
      ]);
    } finally {
      send.mockRestore();
      sendBatch.mockRestore();
      watcher.close();
    }
  });

  it("sends no platform event no one hears: none before the team's first webhook, all after", async () => {
    const { team, ref, watcher, report } = await claimedRun();
    // every queue binding shares the prototype: the RUNS queue's dispatch messages are not events
    const queue = Object.getPrototypeOf(env.EVENTS) as Queue;
    const send = vi.spyOn(queue, "send");
    const sendBatch = vi.spyOn(queue, "sendBatch");
    const isEvent = (m: unknown) => !!m && typeof m === "object" && !("kind" in m);
    const sentOne = () => send.mock.calls.map(([m]) => m).filter(isEvent) as Json[];
    const sentBatches = () =>
      sendBatch.mock.calls.map(([b]) => [...b].map((m) => m.body)).filter((b) => b.every(isEvent));
    try {
      // no webhook, no integration thread: a change, and a new run's creation, send nothing
      await report({ type: "task_started", data: { task_id: ref.runId } });
      const quiet = await createRun(team.key);
      expect(sentOne()).toEqual([]);
      expect(sentBatches()).toEqual([]);
      // the changes made once a webhook exists are sent, and only those
      await listen(team.key);
      await report({ type: "task_completed", data: { task_id: ref.runId, message: "Done" } });
      const batches = sentBatches() as { events: { type: string }[] }[][];
      expect(batches).toHaveLength(1);
      expect(batches[0][0].events.map((e) => e.type)).toEqual([
        "run.state_changed",
        "run.completed",
      ]);
      const loud = await createRun(team.key);
      expect(sentOne().map((m) => [m.type, m.data.run_id])).toEqual([["run.created", loud]]);
      expect(loud).not.toBe(quiet);
    } finally {
      send.mockRestore();
      sendBatch.mockRestore();
      watcher.close();
    }
  });

  it("applies a redelivered report once", async () => {
    const { ref, watcher, report } = await claimedRun();
    const started: HostReport = { type: "task_started", data: { task_id: ref.runId } };
    const position = { ok: true, state: "INPROGRESS", seq: 4, execution_id: 1 };
    expect(await report(started)).toEqual({ ...position, cancel_requested: false });
    expect(await report(started)).toEqual({ ...position, cancel_requested: false });
    const error_code = "invalid_request" as const;
    const data = { task_id: ref.runId, message: "Tests fail", error_code };
    const failed: HostReport = { type: "task_failed", data };
    const ended = { ok: true, state: "FAILED", seq: 5, execution_id: 1, cancel_requested: false };
    expect(await report(failed)).toEqual(ended);
    expect(await report(failed)).toEqual(ended);
    // and a success after the failure changes nothing either
    const success = { task_id: ref.runId, message: "" };
    expect(await report({ type: "task_completed", data: success })).toEqual(ended);
    const commands = (await eventsOf(ref))!.map((e) => e.payload.command ?? e.type);
    expect(commands).toEqual(["run.created", "dispatch", "claim", "start", "fail"]);
    expect(await runRow(ref.runId)).toMatchObject({ state: "FAILED", summary_seq: 5 });
    watcher.close();
  });

  it("answers resource_not_found, as a value, for another team's run", async () => {
    const { ref, watcher } = await claimedRun();
    const other = await newTeam("report-other");
    const started: HostReport = { type: "task_started", data: { task_id: ref.runId } };
    const theirs = { runId: ref.runId, teamId: other.teamId };
    expect(await sessionOf(ref.runId).report(theirs, HOST_ACTOR, started)).toMatchObject({
      ok: false,
      code: "resource_not_found",
    });
    expect((await eventsOf(ref))!).toHaveLength(3);
    watcher.close();
  });
});
