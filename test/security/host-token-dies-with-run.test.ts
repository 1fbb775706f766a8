// Finding 6 (issue 22): the HOST attach token a run's holder gets with its assignment (a host of a
// pool, or the CLI of a LOCAL run) dies with that execution of the run and with its holder's right
// to hold it. Before the fix it lived 24 h and was checked by signature alone: a removed member's
// LOCAL run token still appended events and uploaded artifacts after the run ended.
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { RUN_TOKEN_MARGIN_S } from "../../src/lib/attach-token.ts";
import { call, expectProblem, type Json, newTeam } from "../helpers/api.ts";
import { TestHost, untilRun } from "../helpers/hosts.ts";
import { createRun, RUNS } from "../helpers/runs.ts";
import { attach, attachRequest } from "../helpers/sockets.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

const upload = (runId: string, token: string) =>
  call("POST", `${RUNS}/${runId}/artifacts/files?filename=notes.txt`, {
    raw: "notes",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
  });
const reportPr = (runId: string, token: string) =>
  call("POST", `${RUNS}/${runId}/artifacts?token=${encodeURIComponent(token)}`, {
    body: {
      artifact_type: "PULL_REQUEST",
      data: { url: "https://github.com/acme/app/pull/1", branch: "ambit/fix" },
    },
  });
const events = (runId: string, token: string) =>
  call("GET", `${RUNS}/${runId}/events?token=${encodeURIComponent(token)}`);
const report = (key: string, id: string, body: Json) =>
  call("POST", `${RUNS}/${id}/local/report`, { key, body });

/** A member of the team with a key of their own (its uid too, to revoke it). */
async function member(t: Team) {
  const email = `m-${crypto.randomUUID()}@example.com`;
  const added = await call("POST", "/api/v1/team/members", {
    key: t.key,
    body: { email, role: "member" },
  });
  expect(added.status, added.text).toBe(201);
  const given = await call("POST", "/api/v1/api-keys", {
    key: t.key,
    body: { name: "member's first key", user_uid: added.json.uid },
  });
  expect(given.status, given.text).toBe(201);
  // the member's own key (a key an admin minted reaches no LOCAL run)
  const minted = await call("POST", "/api/v1/api-keys", {
    key: given.json.key,
    body: { name: "member's CLI" },
  });
  expect(minted.status, minted.text).toBe(201);
  return {
    userId: added.json.uid as string,
    key: minted.json.key as string,
    keyUid: minted.json.uid as string,
  };
}

/** The member's LOCAL run, claimed by their CLI and started: the HOST token of its assignment. */
async function claimedLocalRun(key: string) {
  const runId = await createRun(
    key,
    { prompt: "Fix it here", execution_location: "LOCAL" },
    { "x-oz-api-source": "CLI" },
  );
  const claim = await call("POST", `${RUNS}/${runId}/local/claim`, { key });
  expect(claim.status, claim.text).toBe(200);
  expect(
    (await report(key, runId, { type: "task_started", data: { task_id: runId } })).status,
  ).toBe(200);
  return { runId, token: claim.json.assignment.session.token as string };
}

/** Every use of a HOST token is refused: attach, events, file upload, artifact report. */
async function expectRefused(runId: string, token: string) {
  expect((await attachRequest(runId, { token })).status).toBe(401);
  expectProblem(await events(runId, token), 401, "authentication_required");
  expectProblem(await upload(runId, token), 401, "authentication_required");
  expectProblem(await reportPr(runId, token), 401, "authentication_required");
}

describe("a HOST token dies with its run's execution and its holder's right", () => {
  it("a LOCAL run's token works while it runs and is refused (attach, events, artifacts) once the run ended", async () => {
    const t = await newTeam("host-token-ended");
    const m = await member(t);
    const { runId, token } = await claimedLocalRun(m.key);
    const live = await attach(runId, { token });
    expect((await upload(runId, token)).status).toBe(201);
    expect(
      (
        await report(m.key, runId, {
          type: "task_completed",
          data: { task_id: runId, message: "done" },
        })
      ).json.state,
    ).toBe("SUCCEEDED");
    await expectRefused(runId, token);
    await live.untilClosed();
  });

  it("a LOCAL run's token is refused once its user is removed from the team", async () => {
    const t = await newTeam("host-token-removed");
    const m = await member(t);
    const { runId, token } = await claimedLocalRun(m.key);
    expect(
      (await call("DELETE", `/api/v1/team/members/${m.userId}`, { key: t.key })).status,
    ).toBeLessThan(300);
    await expectRefused(runId, token);
  });

  it("a LOCAL run's token is refused once its user is demoted below member", async () => {
    const t = await newTeam("host-token-demoted");
    const m = await member(t);
    const { runId, token } = await claimedLocalRun(m.key);
    const demoted = await call("PATCH", `/api/v1/team/members/${m.userId}`, {
      key: t.key,
      body: { role: "viewer" },
    });
    expect(demoted.status, demoted.text).toBe(200);
    await expectRefused(runId, token);
  });

  it("a LOCAL run's token is refused once the key that claimed the run is revoked", async () => {
    const t = await newTeam("host-token-revoked");
    const m = await member(t);
    const { runId, token } = await claimedLocalRun(m.key);
    expect(
      (await call("DELETE", `/api/v1/api-keys/${m.keyUid}`, { key: t.key })).status,
    ).toBeLessThan(300);
    await expectRefused(runId, token);
  });

  it("a host's token for execution 1 is refused, and its socket closed, once a follow-up began execution 2", async () => {
    const t = await newTeam("host-token-exec");
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "p" });
    await host.take(t.key, runId);
    const first = host.assignments()[0].session.token;
    const socket = await attach(runId, { token: first });
    host.complete(runId);
    await untilRun(t.key, runId, (r) => r.state === "SUCCEEDED", "SUCCEEDED");
    const f = await call("POST", `${RUNS}/${runId}/followups`, {
      key: t.key,
      body: { message: "once more" },
    });
    expect(f.status, f.text).toBe(200);
    const second = await host.assignmentOf(runId, 1);
    expect(second.execution_id).toBe(2);
    await socket.untilClosed();
    await expectRefused(runId, first);
    // the new execution's token works
    expect((await upload(runId, second.session.token)).status).toBe(201);
    host.close();
  });

  it("lives the team's maximum run time plus a margin, not a day", async () => {
    const t = await newTeam("host-token-ttl");
    expect(
      (
        await call("PATCH", "/api/v1/team", {
          key: t.key,
          body: { limits: { max_run_time_seconds: 1200 } },
        })
      ).status,
    ).toBe(200);
    const m = await member(t);
    const { token } = await claimedLocalRun(m.key);
    const local = decodeJwt(token);
    expect(local.exp! - local.iat!).toBe(1200 + RUN_TOKEN_MARGIN_S);
    const host = await TestHost.connect(t.key, "warp", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "p" });
    const a = await host.assignmentOf(runId);
    const hosted = decodeJwt(a.session.token);
    expect(hosted.exp! - hosted.iat!).toBe(1200 + RUN_TOKEN_MARGIN_S);
    expect(hosted).toMatchObject({ run: runId, exec: 1 });
    host.close();
  });

  it("a pool host's token is refused once the admin key its host connected with is revoked", async () => {
    const t = await newTeam("host-token-host-key");
    const admin = await call("POST", "/api/v1/api-keys", {
      key: t.key,
      body: { name: "host key", user_uid: t.userId },
    });
    expect(admin.status, admin.text).toBe(201);
    const host = await TestHost.connect(admin.json.key, "lab", { capacity: 1 });
    const runId = await createRun(t.key, { prompt: "p", config: { worker_host: "lab" } });
    await host.take(t.key, runId);
    const token = host.assignments()[0].session.token;
    expect((await upload(runId, token)).status).toBe(201);
    expect(
      (await call("DELETE", `/api/v1/api-keys/${admin.json.uid}`, { key: t.key })).status,
    ).toBeLessThan(300);
    await expectRefused(runId, token);
    host.close();
  });
});
