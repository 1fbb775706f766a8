// Checkpoints: the run's host stores one with its HOST token (PUT, content-addressed, size-capped);
// the run gets a `checkpoint` event and remembers its last; whoever may read the run (a viewer
// too) downloads it; another team gets 404, a key may not write, a stale execution is refused.
import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, eventsOf, RUNS } from "../helpers/runs.ts";
import { checkpointArchive, putCheckpoint, sha256Hex } from "../helpers/checkpoints.ts";
import { tokenFor } from "../helpers/sockets.ts";

const SHA = "a".repeat(40);
const archive = checkpointArchive;

async function heldRun(team: { key: string; teamId: string }) {
  const runId = await createRun(team.key, { prompt: "p" });
  await advance({ runId, teamId: team.teamId }, "dispatch", "claim", "start");
  return runId;
}

const put = putCheckpoint;

describe("checkpoints", () => {
  it("the host stores one; the run gets a checkpoint event, and members and viewers read it back by id and as latest", async () => {
    const t = await newTeam("checkpoints");
    const runId = await heldRun(t);
    const host = await tokenFor({ runId, teamId: t.teamId }, "HOST");
    const { bytes, id } = await archive();
    const res = await put(runId, id, host, bytes);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      checkpoint_id: id,
      size_bytes: bytes.length,
      reason: "turn",
      execution_id: 1,
      repos: [{ name: "repo", base: SHA, head: SHA, branch: "main" }],
      has_conversation: true,
      excluded: ["repo/.env"],
    });
    const events = (await eventsOf({ runId, teamId: t.teamId }))!;
    const cp = events.filter((e) => e.type === "checkpoint");
    expect(cp).toHaveLength(1);
    expect(cp[0].actor).toEqual({ type: "system", id: "checkpoints" });
    expect(cp[0].payload.checkpoint_id).toBe(id);

    const viewer = await memberKey(t.key, "viewer");
    for (const [key, which] of [
      [t.key, id],
      [viewer.key, "latest"],
    ]) {
      const got = await call("GET", `${RUNS}/${runId}/checkpoints/${which}`, { key });
      expect(got.status, got.text).toBe(200);
      expect(got.headers.get("x-ambit-checkpoint-id")).toBe(id);
      expect(got.text.startsWith("AMBITCP1 ")).toBe(true);
      expect(got.text.length).toBe(bytes.length);
    }
    // the run's holder reads it with its HOST token too
    const byHost = await call("GET", `${RUNS}/${runId}/checkpoints/latest`, {
      headers: { authorization: `Bearer ${host}` },
    });
    expect(byHost.status, byHost.text).toBe(200);
  });

  it("refuses a body that does not hash to its id, a non-archive, a key, another run's token, another team, and a stale execution", async () => {
    const t = await newTeam("checkpoints-refusals");
    const runId = await heldRun(t);
    const host = await tokenFor({ runId, teamId: t.teamId }, "HOST");
    const { bytes, id } = await archive();
    expectProblem(await put(runId, "0".repeat(64), host, bytes), 400, "invalid_request");
    const junk = new TextEncoder().encode("not an archive");
    const junkId = await sha256Hex(junk);
    expectProblem(await put(runId, junkId, host, junk), 400, "invalid_request");
    expectProblem(await put(runId, id, t.key, bytes), 403, "not_authorized");
    const other = await heldRun(t);
    const otherHost = await tokenFor({ runId: other, teamId: t.teamId }, "HOST");
    expectProblem(await put(runId, id, otherHost, bytes), 404, "resource_not_found");
    const viewerToken = await tokenFor({ runId, teamId: t.teamId }, "VIEWER");
    expectProblem(await put(runId, id, viewerToken, bytes), 403, "not_authorized");
    // an archive of another execution than the token's
    const second = await archive(2);
    expectProblem(await put(runId, second.id, host, second.bytes), 400, "invalid_request");
    // nothing was kept
    expectProblem(
      await call("GET", `${RUNS}/${runId}/checkpoints/latest`, { key: t.key }),
      404,
      "resource_not_found",
    );
    expect(await put(runId, id, host, bytes)).toMatchObject({ status: 201 });

    const b = await newTeam("checkpoints-other");
    expectProblem(
      await call("GET", `${RUNS}/${runId}/checkpoints/${id}`, { key: b.key }),
      404,
      "resource_not_found",
    );
    // a new execution began (the run ended and was followed up): the old token writes nothing
    await advance({ runId, teamId: t.teamId }, "succeed", "reopen");
    const again = await archive(1, "later");
    expectProblem(await put(runId, again.id, host, again.bytes), 401, "authentication_required");
  });
});
