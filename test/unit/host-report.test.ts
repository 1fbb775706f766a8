import type { RunState } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import { type HostReport, planReport } from "../../durable-objects/run-session/report.ts";

const T = "run-1";
const started: HostReport = { type: "task_started", data: { task_id: T } };
const done: HostReport = { type: "task_completed", data: { task_id: T, message: "Done" } };
const cancelled: HostReport = {
  type: "task_completed",
  data: { task_id: T, message: "", task_state: "CANCELLED" },
};
const failed: HostReport = {
  type: "task_failed",
  data: { task_id: T, message: "Tests fail", error_code: "invalid_request", retryable: false },
};

const active = (state: RunState) => ({
  state,
  timed_out_at: null,
  max_run_ms: null,
  stop_status: null,
});

/** The commands a report makes from `state`, with where each leads. */
const plan = (state: RunState, msg: HostReport, timedOut = false) =>
  planReport(
    { state, timed_out_at: timedOut ? 1 : null, max_run_ms: 60_000, stop_status: null },
    msg,
  ).map((s) => `${s.command}→${s.to}`);

describe("a holder's report, planned (run-session/report.ts)", () => {
  it("a start, a block, an unblock: one change each, none when the run cannot take it", () => {
    expect(plan("CLAIMED", started)).toEqual(["start→INPROGRESS"]);
    expect(plan("INPROGRESS", started)).toEqual([]); // a resend
    const blocked: HostReport = { type: "task_blocked", data: { task_id: T, question: "Which?" } };
    const status = { message: "Waiting for a person: Which?" };
    expect(planReport(active("INPROGRESS"), blocked)).toEqual([
      { command: "block", from: "INPROGRESS", to: "BLOCKED", status },
    ]);
    const unblocked: HostReport = { type: "task_unblocked", data: { task_id: T } };
    expect(plan("BLOCKED", unblocked)).toEqual(["unblock→INPROGRESS"]);
    expect(plan("INPROGRESS", unblocked)).toEqual([]); // a follow-up already woke it
  });

  it("a success without task_started starts the run first; an impossible one ends it ERROR", () => {
    expect(plan("INPROGRESS", done)).toEqual(["succeed→SUCCEEDED"]);
    expect(plan("CLAIMED", done)).toEqual(["start→INPROGRESS", "succeed→SUCCEEDED"]);
    expect(planReport(active("PENDING"), done)).toEqual([
      {
        command: "error",
        from: "PENDING",
        to: "ERROR",
        status: {
          message:
            "The host reported success, but a run in state PENDING cannot succeed " +
            "(allowed from INPROGRESS, BLOCKED)",
          error_code: "internal_error",
        },
      },
    ]);
  });

  it("a failure keeps the host's error_code and retryable; a refused one ends it ERROR", () => {
    const status = { message: "Tests fail", error_code: "invalid_request", retryable: false };
    expect(planReport(active("INPROGRESS"), failed)).toEqual([
      { command: "fail", from: "INPROGRESS", to: "FAILED", status },
    ]);
    expect(plan("PENDING", failed)).toEqual(["error→ERROR"]);
  });

  it("a confirmed cancel ends CANCELLED, or FAILED (budget_exceeded) past the deadline", () => {
    expect(plan("INPROGRESS", cancelled)).toEqual(["cancel→CANCELLED"]);
    const run = {
      state: "INPROGRESS" as const,
      timed_out_at: 1,
      max_run_ms: 120_000,
      stop_status: null,
    };
    const [step] = planReport(run, cancelled);
    const status = { error_code: "budget_exceeded" };
    expect(step).toMatchObject({ command: "fail", to: "FAILED", status });
    expect(step.status?.message).toMatch(/maximum run time of 2 min/);
  });

  it("a run a budget stopped ends FAILED (budget_exceeded) however its holder reports the end", () => {
    const stop = {
      message: "Stopped: the team's monthly budget…",
      error_code: "budget_exceeded" as const,
    };
    const run = { ...active("INPROGRESS"), timed_out_at: 1, stop_status: stop };
    for (const msg of [cancelled, failed, done])
      expect(planReport(run, msg)).toEqual([
        { command: "fail", from: "INPROGRESS", to: "FAILED", status: stop },
      ]);
  });

  it("changes nothing once the run ended: a redelivered final report is applied once", () => {
    for (const state of ["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"] as RunState[]) {
      for (const msg of [started, done, cancelled, failed]) {
        expect(plan(state, msg), `${state} ${msg.type}`).toEqual([]);
      }
    }
  });
});
