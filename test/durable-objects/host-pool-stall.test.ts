// A pump that fails part way must not leave a run in line with an idle host connected and nothing
// left to pump it (a host's hello or report pumps once; the pool's alarm may be 30 s away). The
// failures are made real: the run's D1 row is spoiled for a moment, so the pool's call into the
// run's session (its status_message) or the building of its assignment (its agent_config) throws.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_ATTEMPTS } from "../../durable-objects/host-pool/dispatch.ts";
import { type Json, newTeam } from "../helpers/api.ts";
import { eventually, poolState, poolStub, TestHost, untilRun } from "../helpers/hosts.ts";
import { insertRunRow, runRow } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

/** Well inside the 30 s before the first alarm of a newly connected host (SILENT_MS). */
const RETRY_WAIT_MS = 6_000;

const setColumn = (runId: string, column: "status_message" | "agent_config", value: string) =>
  env.DB.prepare(`UPDATE runs SET ${column} = ? WHERE id = ?`).bind(value, runId).run();

const offer = (t: Team, runId: string) =>
  poolStub(t.teamId).offer({ runId, teamId: t.teamId, pool: "warp", executionId: 1 });

/** A QUEUED run waiting in the platform pool, whose host is connected but has not said hello. */
async function waitingRun(t: Team) {
  const host = await TestHost.connect(t.key, "warp", false);
  const { id: runId } = await insertRunRow(t, { prompt: "Stall", title: "Stall" });
  expect(await offer(t, runId)).toEqual({ ok: true, status: "waiting" });
  // the line's message is written to the row behind the offer: let it land before spoiling it
  const told = (r: Json) => /no host is connected/.test(r.status_message?.message ?? "");
  await untilRun(t.key, runId, told);
  return { host, runId };
}

describe("HostPool: a failed pump is tried again", () => {
  it("a hello whose pump throws (the session could not open) gets the run soon after", async () => {
    const t = await newTeam("stall-hello");
    const { host, runId } = await waitingRun(t);
    const status = (await runRow(runId))!.status_message!;
    await setColumn(runId, "status_message", "{not json");
    host.hello({ capacity: 1 });
    // the pump ran and threw: the run is still first in line, no host holds it
    await new Promise((r) => setTimeout(r, 500));
    expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([runId]);
    expect(host.assignments()).toEqual([]);
    await setColumn(runId, "status_message", status);
    await host.assignmentOf(runId, 0, RETRY_WAIT_MS);
    await untilRun(t.key, runId, (r: Json) => r.state === "PENDING");
    host.close();
  }, 20_000);

  it("a run dispatched whose assignment failed to build is put back and given again", async () => {
    const t = await newTeam("stall-build");
    const { host, runId } = await waitingRun(t);
    await setColumn(runId, "agent_config", "{not json");
    host.hello({ capacity: 1 });
    // dispatched (PENDING), then its assignment could not be built: handed back, still in line
    // (read raw: the API cannot read the spoiled row)
    const back = await eventually("the hand-back", async () => {
      const row = await runRow(runId);
      return row?.status_message?.includes("Queued again") && row;
    });
    expect(back.state).toBe("QUEUED");
    expect((await poolState(t.teamId)).line.map((e) => e.run_id)).toEqual([runId]);
    expect(host.assignments()).toEqual([]);
    await setColumn(runId, "agent_config", "{}");
    const a = await host.assignmentOf(runId, 0, RETRY_WAIT_MS);
    expect(a.execution_id).toBe(1);
    const run = await untilRun(t.key, runId, (r: Json) => r.state === "PENDING");
    expect(run.status_message.message).toMatch(/Offered to host warp/);
    expect((await poolState(t.teamId)).held).toMatchObject([{ run_id: runId, claimed: 0 }]);
    host.claim(runId);
    await untilRun(t.key, runId, (r: Json) => r.state === "CLAIMED");
    host.close();
  }, 20_000);

  it("a run whose assignment never builds ends ERROR at MAX_ATTEMPTS; the next goes", async () => {
    const t = await newTeam("stall-never");
    const { host, runId } = await waitingRun(t);
    const { id: behind } = await insertRunRow(t, { prompt: "Behind", title: "Behind" });
    await offer(t, behind);
    await setColumn(runId, "agent_config", "{not json");
    host.hello({ capacity: 1 });
    // tried MAX_ATTEMPTS times (the alarm's retries 1 s and 2 s apart), then ended
    const ended = await eventually(
      "the spoiled run's end",
      async () => {
        const row = await runRow(runId);
        return row?.state === "ERROR" && row;
      },
      10_000,
    );
    expect(JSON.parse(ended.status_message!)).toMatchObject({
      message: expect.stringContaining(`after ${MAX_ATTEMPTS} tries: the platform failed`),
      error_code: "internal_error",
    });
    await host.assignmentOf(behind, 0, RETRY_WAIT_MS);
    expect(host.assignedIds()).toEqual([behind]);
    expect((await poolState(t.teamId)).line).toEqual([]);
    host.close();
  }, 25_000);
});
