// Finding 2a: a teammate's follow-up on an ended team run started a new execution that carried the
// run creator's personal secrets. An execution started by anyone but the run's creator gets the
// team's secrets only, and the run's events say so (without names or values).
import { describe, expect, it, vi } from "vitest";
import { call, memberKey, newTeam } from "../helpers/api.ts";
import { TestHost, untilRun } from "../helpers/hosts.ts";
import { createRun, eventsOf, RUNS } from "../helpers/runs.ts";
import { attach, type TestSocket } from "../helpers/sockets.ts";

vi.setConfig({ testTimeout: 30_000 });

const A = "/api/v1/agent";
const secretOf = async (key: string, name: string, value: string, scope: "team" | "personal") => {
  const res = await call("POST", `${A}/secrets`, { key, body: { name, value, scope } });
  expect(res.status, res.text).toBe(201);
};
const names = (a: { secrets: { name: string; value: string }[] }) =>
  a.secrets.map((s) => `${s.name}=${s.value}`).sort();

async function endedRun() {
  const t = await newTeam("followup-secrets");
  const creator = await memberKey(t.key, "member");
  const teammate = await memberKey(t.key, "member");
  const personal = `creator-${crypto.randomUUID()}`;
  await secretOf(t.key, "TEAM_TOKEN", "team-value", "team");
  await secretOf(creator.key, "CREATOR_TOKEN", personal, "personal");
  await secretOf(teammate.key, "TEAMMATE_TOKEN", "teammate-value", "personal");
  const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
  const runId = await createRun(creator.key, { prompt: "Fix the flaky test" });
  const first = await host.assignmentOf(runId);
  await host.take(creator.key, runId);
  host.complete(runId);
  await untilRun(creator.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
  return { t, creator, teammate, host, runId, first, personal };
}

describe("finding 2a: a follow-up by someone else never carries the creator's personal secrets", () => {
  it("a teammate's follow-up on an ended run: the new execution gets team secrets only, and the events say why", async () => {
    const { t, teammate, host, runId, first, personal } = await endedRun();
    expect(names(first)).toEqual([`CREATOR_TOKEN=${personal}`, "TEAM_TOKEN=team-value"]);

    const res = await call("POST", `${RUNS}/${runId}/followups`, {
      key: teammate.key,
      body: { message: "Now print every env var" },
    });
    expect(res.status, res.text).toBe(200);
    const second = await host.assignmentOf(runId, 1);
    expect(second.execution_id).toBe(2);
    // no personal secret of anybody: not the creator's, not the sender's
    expect(names(second)).toEqual(["TEAM_TOKEN=team-value"]);

    const events = (await eventsOf({ runId, teamId: t.teamId }))!;
    const withheld = events.filter((e) => e.type === "secrets.withheld");
    expect(withheld).toHaveLength(1);
    expect(withheld[0]).toMatchObject({
      execution_id: 2,
      payload: { reason: "started_by_other", started_by: { type: "user", id: teammate.userId } },
    });
    expect(withheld[0].payload.message).toMatch(/personal secret/);
    expect(JSON.stringify(events)).not.toContain(personal);
    expect(JSON.stringify(events)).not.toContain("CREATOR_TOKEN");
    host.close();
  });

  it("the creator's own follow-up on the ended run does get the creator's personal secrets", async () => {
    const { t, creator, host, runId, personal } = await endedRun();
    const res = await call("POST", `${RUNS}/${runId}/followups`, {
      key: creator.key,
      body: { message: "One more thing" },
    });
    expect(res.status, res.text).toBe(200);
    const second = await host.assignmentOf(runId, 1);
    expect(second.execution_id).toBe(2);
    expect(names(second)).toEqual([`CREATOR_TOKEN=${personal}`, "TEAM_TOKEN=team-value"]);
    expect(
      (await eventsOf({ runId, teamId: t.teamId }))!.filter((e) => e.type === "secrets.withheld"),
    ).toEqual([]);
    host.close();
  });

  it("a teammate's follow-up followed by the creator's: each execution follows its own starter", async () => {
    const { creator, teammate, host, runId, personal } = await endedRun();
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: teammate.key,
          body: { message: "teammate" },
        })
      ).status,
    ).toBe(200);
    expect(names(await host.assignmentOf(runId, 1))).toEqual(["TEAM_TOKEN=team-value"]);
    await host.take(creator.key, runId);
    host.complete(runId);
    await untilRun(creator.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: creator.key,
          body: { message: "creator" },
        })
      ).status,
    ).toBe(200);
    const third = await host.assignmentOf(runId, 2);
    expect(third.execution_id).toBe(3);
    expect(names(third)).toEqual([`CREATOR_TOKEN=${personal}`, "TEAM_TOKEN=team-value"]);
    host.close();
  });

  it("the creator's follow-up through a key an admin minted for them gets no personal secrets (finding 5 meets 2a)", async () => {
    const { t, creator, host, runId } = await endedRun();
    const res = await call("POST", `${RUNS}/${runId}/followups`, {
      key: creator.delegatedKey,
      body: { message: "print every env var" },
    });
    expect(res.status, res.text).toBe(200);
    const second = await host.assignmentOf(runId, 1);
    expect(second.execution_id).toBe(2);
    expect(names(second)).toEqual(["TEAM_TOKEN=team-value"]);
    const withheld = (await eventsOf({ runId, teamId: t.teamId }))!.filter(
      (e) => e.type === "secrets.withheld",
    );
    expect(withheld).toMatchObject([{ execution_id: 2, payload: { reason: "delegated_key" } }]);
    host.close();
  });

  it("a follow-up sent as a websocket frame on an ended run is dispatched to a host like the REST one, and follows the same rule", async () => {
    const { creator, teammate, host, runId, personal } = await endedRun();
    const answer = async (s: TestSocket, frame: Record<string, unknown>) => {
      s.send(frame);
      return s.until(`the answer to ${frame.ref}`, () =>
        s.frames.find((f) => (f.type === "ack" || f.type === "error") && f.ref === frame.ref),
      );
    };
    const mate = await attach(runId, { key: teammate.key });
    expect(
      await answer(mate, { type: "followup", ref: "f1", message: "teammate over the socket" }),
    ).toMatchObject({ type: "ack" });
    // before, the run went back to QUEUED and no host ever heard of it
    const second = await host.assignmentOf(runId, 1);
    expect(second.execution_id).toBe(2);
    expect(names(second)).toEqual(["TEAM_TOKEN=team-value"]);
    await host.take(creator.key, runId);
    host.complete(runId);
    await untilRun(creator.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    const own = await attach(runId, { key: creator.key });
    expect(
      await answer(own, { type: "followup", ref: "f2", message: "creator over the socket" }),
    ).toMatchObject({ type: "ack" });
    const third = await host.assignmentOf(runId, 2);
    expect(third.execution_id).toBe(3);
    expect(names(third)).toEqual([`CREATOR_TOKEN=${personal}`, "TEAM_TOKEN=team-value"]);
    const viaDelegated = await attach(runId, { key: creator.delegatedKey });
    await host.take(creator.key, runId);
    host.complete(runId);
    await untilRun(creator.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    expect(
      await answer(viaDelegated, {
        type: "followup",
        ref: "f3",
        message: "delegated over the socket",
      }),
    ).toMatchObject({ type: "ack" });
    const fourth = await host.assignmentOf(runId, 3);
    expect(fourth.execution_id).toBe(4);
    expect(names(fourth)).toEqual(["TEAM_TOKEN=team-value"]);
    for (const s of [mate, own, viaDelegated]) s.ws.close();
    host.close();
  });
});
