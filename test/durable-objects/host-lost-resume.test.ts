// A run whose host is lost for good after a checkpoint goes back in line and resumes on another
// host from it (a new execution whose assignment carries `resume`), its events saying what was
// lost; without a checkpoint, past the team's `resume_attempts`, or with 0 of them, it ends ERROR
// as before. Runs are inserted into D1 and offered to the pool by RPC, hosts are real websockets.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOST_GRACE_MS } from "../../durable-objects/host-pool/connections.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import { checkpointArchive, putCheckpoint } from "../helpers/checkpoints.ts";
import {
  backdateLost,
  eventually,
  poolState,
  poolStub,
  TestHost,
  untilRun,
} from "../helpers/hosts.ts";
import { eventsOf, insertRunRow } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

async function heldRun(t: Team, pool: string) {
  const row = await insertRunRow(t, { prompt: "p", title: "p", worker_host: pool });
  const host = await TestHost.connect(t.key, pool);
  await poolStub(t.teamId, pool).offer({
    runId: row.id,
    teamId: t.teamId,
    pool,
    executionId: 1,
  });
  await host.take(t.key, row.id);
  const a = (await host.assignmentOf(row.id)) as Json;
  return { runId: row.id, host, token: a.session.token as string };
}

/** The host is gone past the lost grace: the pool's alarm gives its run up. */
async function loseHost(t: Team, pool: string, host: TestHost) {
  host.close();
  await eventually(
    "the run marked lost",
    async () => (await poolState(t.teamId, pool)).held[0]?.lost_at,
  );
  await backdateLost(t.teamId, pool, LOST_GRACE_MS + 1_000);
  await runDurableObjectAlarm(poolStub(t.teamId, pool));
}

describe("a run whose host is lost resumes from its last checkpoint", () => {
  it("goes back in line as execution 2; the next host's assignment resumes from the checkpoint; the events say what was lost", async () => {
    const t = await newTeam("resume");
    const pool = "w-resume";
    const { runId, host, token } = await heldRun(t, pool);
    const cp = await checkpointArchive(1);
    expect((await putCheckpoint(runId, cp.id, token, cp.bytes)).status).toBe(201);

    await loseHost(t, pool, host);
    await untilRun(t.key, runId, (r) => r.state === "QUEUED", "QUEUED");
    const events = (await eventsOf({ runId, teamId: t.teamId }))!;
    const warning = events.find((e) => e.type === "log" && e.payload.source === "platform");
    expect(warning?.payload.message).toMatch(/checkpoint of .* is lost$/);
    const resumed = events.find((e) => e.payload.command === "resume")?.payload;
    expect(resumed).toMatchObject({ from: "INPROGRESS", to: "QUEUED", execution_id: 2 });
    expect(resumed?.status_message.message).toMatch(
      /^Queued to resume: Host w-resume stopped answering .* resumes on another host from its checkpoint of .* \(attempt 1 of 2\); what the agent did after that checkpoint is lost$/,
    );

    const next = await TestHost.connect(t.key, pool);
    const a = (await next.assignmentOf(runId)) as Json;
    expect(a.execution_id).toBe(2);
    expect(a.resume).toEqual({
      checkpoint_id: cp.id,
      path: `/api/v1/agent/runs/${runId}/checkpoints/${cp.id}`,
      created_at: expect.any(String),
      reason: "host_lost",
      execution_id: 1,
    });
    // the new holder reads the checkpoint with its own HOST token
    const got = await call("GET", `/api/v1/agent/runs/${runId}/checkpoints/${cp.id}`, {
      headers: { authorization: `Bearer ${a.session.token}` },
    });
    expect(got.status, got.text).toBe(200);
    next.close();
  });

  it("ends ERROR as before: with no checkpoint, with resume_attempts 0, and once its attempts are used", async () => {
    const t = await newTeam("resume-no");
    const none = await heldRun(t, "w-none");
    await loseHost(t, "w-none", none.host);
    expect((await untilRun(t.key, none.runId, (r) => r.state === "ERROR", "ERROR")).state).toBe(
      "ERROR",
    );

    const patched = await call("PATCH", "/api/v1/team", {
      key: t.key,
      body: { resume_attempts: 1 },
    });
    expect(patched.json.resume_attempts).toBe(1);
    const once = await heldRun(t, "w-once");
    const cp = await checkpointArchive(1);
    expect((await putCheckpoint(once.runId, cp.id, once.token, cp.bytes)).status).toBe(201);
    await loseHost(t, "w-once", once.host);
    await untilRun(t.key, once.runId, (r) => r.state === "QUEUED", "QUEUED");
    const second = await TestHost.connect(t.key, "w-once");
    await second.take(t.key, once.runId);
    await loseHost(t, "w-once", second);
    const ended = await untilRun(t.key, once.runId, (r) => r.state === "ERROR", "ERROR");
    expect(ended.status_message.message).toMatch(/^Host w-once stopped answering/);

    await call("PATCH", "/api/v1/team", { key: t.key, body: { resume_attempts: 0 } });
    const off = await heldRun(t, "w-off");
    const cp2 = await checkpointArchive(1, "off");
    expect((await putCheckpoint(off.runId, cp2.id, off.token, cp2.bytes)).status).toBe(201);
    await loseHost(t, "w-off", off.host);
    expect((await untilRun(t.key, off.runId, (r) => r.state === "ERROR", "ERROR")).state).toBe(
      "ERROR",
    );
  });
});
