// A pump that fails part way must not leave a run in line with an idle host connected and nothing
// left to pump it (a host's hello or report pumps once; the pool's alarm may be 30 s away). The
// failures are made real: the run's D1 row is spoiled for a moment, so the pool's call into the
// run's session (its status_message) or the building of its assignment (its agent_config) throws.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { GIVE_RETRY_WINDOW_MS, MAX_ATTEMPTS } from "../../durable-objects/host-pool/dispatch.ts";
import { type Json, newTeam } from "../helpers/api.ts";
import { eventually, poolState, poolStub, sleep, TestHost, untilRun } from "../helpers/hosts.ts";
import { insertRunRow, runRow } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

/** Well inside the 30 s before the first alarm of a newly connected host (SILENT_MS). */
const RETRY_WAIT_MS = 6_000;

const setColumn = (runId: string, column: "status_message" | "agent_config", value: string) =>
  env.DB.prepare(`UPDATE runs SET ${column} = ? WHERE id = ?`).bind(value, runId).run();

const offer = (t: Team, runId: string) =>
  poolStub(t.teamId).offer({ runId, teamId: t.teamId, pool: "warp", executionId: 1 });

/** Moves back in time when a run's tries to be given began failing (its retry window's start). */
const backdateFailures = (t: Team, runId: string, ms: number) =>
  runInDurableObject(poolStub(t.teamId), (_, state) => {
    state.storage.sql.exec(
      "UPDATE line SET failing_since = failing_since - ? WHERE run_id = ?",
      ms,
      runId,
    );
  });

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

  it("a run that never builds is passed over, and ends ERROR after its window", async () => {
    const t = await newTeam("stall-never");
    const { host, runId } = await waitingRun(t);
    const { id: behind } = await insertRunRow(t, { prompt: "Behind", title: "Behind" });
    await offer(t, behind);
    await setColumn(runId, "agent_config", "{not json");
    host.hello({ capacity: 2 });
    // its failed try does not hold up the run behind it, which goes at once
    await host.assignmentOf(behind, 0, RETRY_WAIT_MS);
    const line = (await poolState(t.teamId)).line;
    expect(line).toMatchObject([{ run_id: runId, handback: 0 }]);
    expect(line[0].give_failures).toBeGreaterThanOrEqual(1);
    // still tried (1 s, 2 s, 4 s apart): as if its window were spent, the next try ends it
    await backdateFailures(t, runId, GIVE_RETRY_WINDOW_MS);
    const ended = await eventually(
      "the spoiled run's end",
      async () => {
        const row = await runRow(runId);
        return row?.state === "ERROR" && row;
      },
      12_000,
    );
    expect(JSON.parse(ended.status_message!)).toMatchObject({
      message: expect.stringContaining("Could not be given to a host: the platform failed"),
      error_code: "internal_error",
    });
    expect(host.assignedIds()).toEqual([behind]);
    expect((await poolState(t.teamId)).line).toEqual([]);
    host.close();
  }, 25_000);

  it("a few seconds of failed builds (an outage) delay the run and error none", async () => {
    const t = await newTeam("stall-outage");
    const { host, runId } = await waitingRun(t);
    // what the assignment reads fails for 4.5 s, as if D1 were out: each try dispatches the run
    // (PENDING), fails to build its assignment, and hands it back
    await setColumn(runId, "agent_config", "{not json");
    host.hello({ capacity: 1 });
    await sleep(4_500);
    // more tries failed than MAX_ATTEMPTS (0 s, 1 s, 3 s): none of them is an offer
    const [entry] = (await poolState(t.teamId)).line;
    expect(entry.run_id).toBe(runId);
    expect(entry.give_failures).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
    expect((await runRow(runId))!.state).toBe("QUEUED");
    await setColumn(runId, "agent_config", "{}");
    await host.assignmentOf(runId, 0, 10_000);
    const run = await untilRun(t.key, runId, (r: Json) => r.state === "PENDING");
    expect(run.status_message.message).toMatch(/Offered to host warp/);
    host.close();
  }, 25_000);
});
