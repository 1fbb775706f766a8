import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import {
  advance,
  createRun,
  eventsOf,
  hostAppend,
  messages,
  RUNS,
  runRow,
} from "../helpers/runs.ts";
import { attach, tokenFor } from "../helpers/sockets.ts";

async function newRun() {
  const team = await newTeam("followup");
  const member = await memberKey(team.key, "member");
  const runId = await createRun(team.key, { prompt: "Fix the flaky test" });
  return { team, member, runId, ref: { runId, teamId: team.teamId } };
}

const followup = (runId: string, key: string, body: unknown, headers?: Record<string, string>) =>
  call("POST", `${RUNS}/${runId}/followups`, { key, body, headers });

describe("POST /agent/runs/{id}/followups", () => {
  it("answers {} and records followup.received attributed to its author on a queued run", async () => {
    const { member, runId, ref } = await newRun();
    const before = await runRow(runId);
    const res = await followup(runId, member.key, {
      message: "  Also update the changelog  ",
      mode: "plan",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({});
    const events = (await eventsOf(ref))!;
    expect(events.map((e) => e.type)).toEqual(["run.created", "followup.received"]);
    expect(events[1]).toMatchObject({
      seq: 2,
      actor: { type: "user", id: member.userId },
      execution_id: 1,
      payload: { message: "Also update the changelog", mode: "plan", execution_id: 1 },
    });
    // a follow-up on a queued run changes nothing about its state
    expect(await runRow(runId)).toEqual(before);
  });

  it("wakes a BLOCKED run (back to INPROGRESS) and hands the message to its host", async () => {
    const { member, runId, ref } = await newRun();
    await advance(ref, "dispatch", "claim", "start", "block");
    expect((await runRow(runId))?.state).toBe("BLOCKED");
    const host = await attach(runId, { token: await tokenFor(ref, "HOST"), after: 5 });
    const res = await followup(runId, member.key, { message: "Yes, go ahead" });
    expect(res.status, res.text).toBe(200);
    const events = (await eventsOf(ref, 5))!;
    const author = { type: "user", id: member.userId };
    expect(events).toEqual([
      expect.objectContaining({
        seq: 6,
        type: "followup.received",
        actor: author,
        payload: { message: "Yes, go ahead", execution_id: 1 },
      }),
      expect.objectContaining({
        seq: 7,
        type: "run.state_changed",
        actor: author,
        payload: expect.objectContaining({ from: "BLOCKED", to: "INPROGRESS", command: "unblock" }),
      }),
    ]);
    expect(await runRow(runId)).toMatchObject({
      state: "INPROGRESS",
      summary_seq: 7,
      ended_at: null,
    });
    expect((await call("GET", `${RUNS}/${runId}`, { key: member.key })).json.state).toBe(
      "INPROGRESS",
    );
    expect(await host.nth("followup", 1)).toEqual({
      type: "followup",
      message: "Yes, go ahead",
      execution_id: 1,
    });
    host.close();
  });

  it("delivers a follow-up to the live host of a running run as a followup frame, and only to the host", async () => {
    const { team, member, runId, ref } = await newRun();
    await advance(ref, "dispatch", "claim", "start");
    const host = await attach(runId, { token: await tokenFor(ref, "HOST") });
    const watcher = await attach(runId, { key: team.key });
    const res = await followup(runId, member.key, {
      message: "Prefer small commits",
      mode: "normal",
    });
    expect(res.status, res.text).toBe(200);
    expect(await host.nth("followup", 1)).toEqual({
      type: "followup",
      message: "Prefer small commits",
      mode: "normal",
      execution_id: 1,
    });
    // everyone sees the event; only the host gets the instruction frame
    await watcher.untilSeq(5);
    await host.untilSeq(5);
    expect(watcher.events().at(-1)).toMatchObject({
      type: "followup.received",
      actor: { id: member.userId },
    });
    expect(watcher.ofType("followup")).toEqual([]);
    expect((await runRow(runId))?.state).toBe("INPROGRESS");
    host.close();
    watcher.close();
  });

  it("starts the next execution of an ended run: back to QUEUED with execution_id 2", async () => {
    const { member, runId, ref } = await newRun();
    await advance(ref, "dispatch", "claim", "start");
    await hostAppend(ref, messages(1, 2));
    await advance(ref, "succeed");
    const ended = (await runRow(runId))!;
    expect(ended).toMatchObject({
      state: "SUCCEEDED",
      summary_seq: 7,
      ended_at: expect.any(Number),
    });

    const res = await followup(runId, member.key, { message: "Now do the docs too" });
    expect(res.status, res.text).toBe(200);
    const author = { type: "user", id: member.userId };
    const events = (await eventsOf(ref, 7))!;
    expect(events).toEqual([
      expect.objectContaining({
        seq: 8,
        type: "run.state_changed",
        actor: author,
        execution_id: 1,
        payload: expect.objectContaining({
          from: "SUCCEEDED",
          to: "QUEUED",
          command: "reopen",
          execution_id: 2,
        }),
      }),
      expect.objectContaining({
        seq: 9,
        type: "followup.received",
        actor: author,
        execution_id: 2,
        payload: { message: "Now do the docs too", execution_id: 2 },
      }),
    ]);
    const row = (await runRow(runId))!;
    expect(row).toMatchObject({
      state: "QUEUED",
      summary_seq: 8,
      ended_at: null,
      started_at: ended.started_at,
    });
    expect((await call("GET", `${RUNS}/${runId}`, { key: member.key })).json).toMatchObject({
      state: "QUEUED",
      status_message: { message: expect.stringMatching(/follow-up/) },
    });

    // the new execution's host numbers its events from 1 again
    await advance(ref, "dispatch", "claim", "start");
    expect(await hostAppend(ref, messages(1, 1, "second"))).toEqual({
      ok: true,
      seqs: [13],
      refused: [],
    });
    expect((await eventsOf(ref, 12))![0]).toMatchObject({
      execution_id: 2,
      payload: { text: "second 1" },
    });
    // another follow-up while it runs stays in execution 2
    expect((await followup(runId, member.key, { message: "one more" })).status).toBe(200);
    expect((await eventsOf(ref, 13))!.map((e) => [e.type, e.execution_id])).toEqual([
      ["followup.received", 2],
    ]);
  });

  it("reopens a cancelled run too, and counts executions on", async () => {
    const { team, runId, ref } = await newRun();
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: team.key })).status).toBe(200);
    expect((await followup(runId, team.key, { message: "try again" })).status).toBe(200);
    await advance(ref, "cancel");
    expect((await followup(runId, team.key, { message: "and again" })).status).toBe(200);
    const events = (await eventsOf(ref))!;
    expect(events.filter((e) => e.type === "followup.received").map((e) => e.execution_id)).toEqual(
      [2, 3],
    );
    expect((await runRow(runId))?.state).toBe("QUEUED");
  });

  it("records a follow-up once when the request is retried with the same Idempotency-Key", async () => {
    const { team, runId, ref } = await newRun();
    const headers = { "idempotency-key": `fu-${crypto.randomUUID()}` };
    const first = await followup(runId, team.key, { message: "once" }, headers);
    const second = await followup(runId, team.key, { message: "once" }, headers);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.json).toEqual({});
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect((await eventsOf(ref))!.filter((e) => e.type === "followup.received")).toHaveLength(1);
  });

  it("refuses a viewer with 403, changing nothing", async () => {
    const { team, runId, ref } = await newRun();
    await advance(ref, "dispatch", "claim", "start", "block");
    const viewer = await memberKey(team.key, "viewer");
    const before = await runRow(runId);
    const problem = expectProblem(
      await followup(runId, viewer.key, { message: "let me steer" }),
      403,
      "not_authorized",
    );
    expect(problem.detail).toMatch(/EDITOR/);
    expect(await runRow(runId)).toEqual(before);
    expect((await eventsOf(ref))!).toHaveLength(5);
  });

  it.each([
    ["an empty message", { message: "" }],
    ["a blank message", { message: "   \n " }],
    ["no message", {}],
    ["an unknown mode", { message: "hi", mode: "yolo" }],
    ["a message over 100,000 characters", { message: "x".repeat(100_001) }],
  ])("refuses %s with 400, recording nothing", async (_, body) => {
    const { team, runId, ref } = await newRun();
    expectProblem(await followup(runId, team.key, body), 400, "invalid_request");
    expect((await eventsOf(ref))!).toHaveLength(1);
  });

  it("answers 404 for another team's run, someone else's personal run and an unknown run; 401 without a key", async () => {
    const { team, member, runId, ref } = await newRun();
    const other = await newTeam("followup");
    const personal = await createRun(member.key, { prompt: "mine", team: false });
    expectProblem(await followup(runId, other.key, { message: "hi" }), 404, "resource_not_found");
    expectProblem(await followup(personal, team.key, { message: "hi" }), 404, "resource_not_found");
    expectProblem(
      await followup("00000000-0000-7000-8000-000000000000", team.key, { message: "hi" }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("POST", `${RUNS}/${runId}/followups`, { body: { message: "hi" } }),
      401,
      "authentication_required",
    );
    expect((await eventsOf(ref))!).toHaveLength(1);
    expect((await eventsOf({ runId: personal, teamId: team.teamId }))!).toHaveLength(1);
    // the creator may steer their own personal run
    expect((await followup(personal, member.key, { message: "mine to steer" })).status).toBe(200);
  });
});
