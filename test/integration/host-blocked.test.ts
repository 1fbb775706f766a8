// BLOCKED through the host protocol: a host says `task_blocked` with the agent's question, the
// run waits BLOCKED with it, a follow-up wakes it (INPROGRESS) and reaches the host's session
// socket; `task_unblocked` after that is a harmless no-op, and covers a follow-up that raced the block.
import { describe, expect, it, vi } from "vitest";
import { call, newTeam } from "../helpers/api.ts";
import { sleep, TestHost, untilRun } from "../helpers/hosts.ts";
import { createRun, RUNS } from "../helpers/runs.ts";
import { attach } from "../helpers/sockets.ts";

vi.setConfig({ testTimeout: 30_000 });

describe("BLOCKED via the host protocol", () => {
  it("task_blocked → BLOCKED with the question; a follow-up → INPROGRESS and reaches the host", async () => {
    const t = await newTeam("blocked");
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "ask me something" });
    await host.take(t.key, runId);
    const assignment = await host.assignmentOf(runId);
    const hostSession = await attach(runId, { token: assignment.session.token });

    host.msg("task_blocked", {
      task_id: runId,
      question: "Which database should I migrate, staging or prod?",
    });
    const blocked = await untilRun(t.key, runId, (r) => r.state === "BLOCKED", "BLOCKED");
    expect(blocked.status_message.message).toBe(
      "Waiting for a person: Which database should I migrate, staging or prod?",
    );
    expect(blocked.is_sandbox_running).toBe(true);

    const res = await call("POST", `${RUNS}/${runId}/followups`, {
      key: t.key,
      body: { message: "staging" },
    });
    expect(res.status, res.text).toBeLessThan(300);
    await untilRun(t.key, runId, (r) => r.state === "INPROGRESS", "INPROGRESS again");
    const followup = await hostSession.next("the follow-up event on the host's socket", (f) =>
      (f.type === "event" ? [f.event] : f.type === "events" ? f.events : []).some(
        (e: { type: string }) => e.type === "followup.received",
      ),
    );
    expect(JSON.stringify(followup)).toContain("staging");

    // the follow-up already unblocked it: task_unblocked changes nothing
    host.msg("task_unblocked", { task_id: runId });
    await sleep(200);
    expect((await untilRun(t.key, runId, () => true)).state).toBe("INPROGRESS");
    host.complete(runId, { message: "done" });
    await untilRun(t.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    hostSession.close();
    host.close();
  });

  it("task_unblocked moves a still-BLOCKED run back to INPROGRESS; task_blocked of a run not in progress is refused without harm", async () => {
    const t = await newTeam("blocked-2");
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "p" });
    await host.take(t.key, runId, false); // CLAIMED, not started
    host.msg("task_blocked", { task_id: runId, question: "too early?" });
    await sleep(300);
    expect((await untilRun(t.key, runId, () => true)).state).toBe("CLAIMED");

    host.start(runId);
    host.msg("task_blocked", { task_id: runId, question: "now?" });
    await untilRun(t.key, runId, (r) => r.state === "BLOCKED", "BLOCKED");
    host.msg("task_unblocked", { task_id: runId });
    await untilRun(t.key, runId, (r) => r.state === "INPROGRESS", "INPROGRESS");
    host.close();
  });

  it("refuses a task_blocked without a question (the socket closes 1008) and one for a run this connection does not hold", async () => {
    const t = await newTeam("blocked-3");
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    host.msg("task_blocked", { task_id: "run_nope", question: "?" });
    const err = await host.next("error frame", (f) => f.type === "error");
    expect(err.data.code).toBe("resource_not_found");
    host.msg("task_blocked", { task_id: "run_nope" });
    const closed = await host.untilClosed();
    expect(closed.code).toBe(1008);
  });
});
