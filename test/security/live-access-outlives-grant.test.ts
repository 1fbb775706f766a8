// Finding 6: live access outlived its grant. A socket kept the access it was attached with, so a
// member removed or demoted (or whose key was revoked, or whose run's sharing shrank) could go on
// steering the run through frames. Now every follow-up and cancel frame is authorized against the
// principal's current standing in D1, and removing, demoting or revoking closes (4003) what that
// principal has open.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, eventsOf, RUNS } from "../helpers/runs.ts";
import { attach, attachRequest, type TestSocket } from "../helpers/sockets.ts";

async function steeredRun() {
  const team = await newTeam("live-grant");
  const member = await memberKey(team.key, "member");
  const runId = await createRun(team.key, { prompt: "a team run, members steer it" });
  const ref = { runId, teamId: team.teamId };
  await advance(ref, "dispatch", "claim", "start");
  return { team, member, runId, ref };
}

/** The types of the run's events, to show a refused frame changed nothing. */
const typesOf = async (ref: { runId: string; teamId: string }) =>
  (await eventsOf(ref))!.map((e) => e.type);

/** Sends `frame` and waits for its answer (ack or error, matched by ref). */
async function answer(s: TestSocket, frame: Record<string, unknown>) {
  s.send(frame);
  return s.until(`the answer to ${frame.ref}`, () =>
    s.frames.find((f) => (f.type === "ack" || f.type === "error") && f.ref === frame.ref),
  );
}

const sse = (runId: string, key: string) =>
  exports.default.fetch(
    new Request(`${BASE}${RUNS}/${runId}/events`, {
      headers: { authorization: `Bearer ${key}`, accept: "text/event-stream" },
    }),
  );

/** Reads an SSE body until it ends; fails if it is still open after `ms`. */
async function untilEnded(res: Response, ms = 3_000) {
  const reader = res.body!.getReader();
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("the SSE stream is still open");
    const chunk = await Promise.race([
      reader.read(),
      new Promise<"t">((r) => setTimeout(() => r("t"), left)),
    ]);
    if (chunk === "t") throw new Error("the SSE stream is still open");
    if (chunk.done) return;
  }
}

describe("removing a member", () => {
  it("closes their sockets (4003) and ends their SSE streams; the owner's stay", async () => {
    const { team, member, runId } = await steeredRun();
    const s = await attach(runId, { key: member.key });
    expect(s.frames[0]).toMatchObject({ access: "EDITOR" });
    const stream = await sse(runId, member.key);
    expect(stream.status).toBe(200);
    const owner = await attach(runId, { key: team.key });

    expect(
      (await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: team.key })).status,
    ).toBe(204);
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });
    await untilEnded(stream);
    expect(owner.closed).toBeNull();
    expect(
      await answer(owner, { type: "followup", ref: "f", message: "the owner still steers" }),
    ).toMatchObject({ type: "ack" });
    owner.close();
  });

  it("a follow-up frame from a member no longer in the team is refused and changes nothing (the per-frame check)", async () => {
    const { team, member, runId, ref } = await steeredRun();
    const s = await attach(runId, { key: member.key });
    // behind the service's back: no push reaches the session, only the per-frame check stands
    await env.DB.prepare("DELETE FROM memberships WHERE team_id = ? AND user_id = ?")
      .bind(team.teamId, member.userId)
      .run();
    const before = await typesOf(ref);
    expect(
      await answer(s, { type: "followup", ref: "f", message: "still steering?" }),
    ).toMatchObject({ type: "error", code: "not_authorized" });
    // and the connection, which no longer admits anything, is closed
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });
    expect(await typesOf(ref)).toEqual(before);
    expect((await call("GET", `${RUNS}/${runId}`, { key: team.key })).json.state).toBe(
      "INPROGRESS",
    );
    s.close();
  });
});

describe("demoting a member to viewer", () => {
  it("closes their EDITOR socket (4003); attached again they watch, and a cancel frame is refused", async () => {
    const { team, member, runId, ref } = await steeredRun();
    const s = await attach(runId, { key: member.key });
    expect(
      (
        await call("PATCH", `/api/v1/team/members/${member.userId}`, {
          key: team.key,
          body: { role: "viewer" },
        })
      ).status,
    ).toBe(200);
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });

    const again = await attach(runId, { key: member.key });
    expect(again.frames[0]).toMatchObject({ access: "VIEWER" });
    expect(await answer(again, { type: "cancel", ref: "c" })).toMatchObject({
      type: "error",
      code: "not_authorized",
    });
    expect(await typesOf(ref)).not.toContain("run.cancel_requested");
    again.close();
  });

  it("a cancel frame after a demotion the session was not told of is refused (the per-frame check)", async () => {
    const { team, member, runId, ref } = await steeredRun();
    const s = await attach(runId, { key: member.key });
    await env.DB.prepare("UPDATE memberships SET role = 'viewer' WHERE team_id = ? AND user_id = ?")
      .bind(team.teamId, member.userId)
      .run();
    expect(await answer(s, { type: "cancel", ref: "c" })).toMatchObject({
      type: "error",
      code: "not_authorized",
    });
    expect(await typesOf(ref)).not.toContain("run.cancel_requested");
    // the socket was downgraded: it watches on, and steers no more even if the role comes back
    expect(s.closed).toBeNull();
    await env.DB.prepare("UPDATE memberships SET role = 'member' WHERE team_id = ? AND user_id = ?")
      .bind(team.teamId, member.userId)
      .run();
    expect(await answer(s, { type: "followup", ref: "f", message: "back" })).toMatchObject({
      type: "error",
      message: expect.stringContaining("has VIEWER"),
    });
    s.close();
    // a new attach reads the current role
    const again = await attach(runId, { key: member.key });
    expect(await answer(again, { type: "followup", ref: "f", message: "back" })).toMatchObject({
      type: "ack",
    });
    again.close();
  });

  it("leaves a socket alone when the demotion does not lower its access (a viewer socket of an admin made member)", async () => {
    const team = await newTeam("live-grant");
    const admin = await memberKey(team.key, "admin");
    const runId = await createRun(team.key, { prompt: "p" });
    const s = await attach(runId, { key: admin.key });
    expect(
      (
        await call("PATCH", `/api/v1/team/members/${admin.userId}`, {
          key: team.key,
          body: { role: "member" },
        })
      ).status,
    ).toBe(200);
    expect(
      await answer(s, { type: "followup", ref: "f", message: "still an editor" }),
    ).toMatchObject({ type: "ack" });
    expect(s.closed).toBeNull();
    s.close();
  });
});

describe("revoking an API key", () => {
  it("closes the sockets and streams attached with it, and those attached by a token it minted", async () => {
    const { team, member, runId } = await steeredRun();
    const keys = await call("GET", "/api/v1/api-keys", { key: team.key });
    const keyId = keys.json.api_keys.find(
      (k: { principal: { uid: string } }) => k.principal.uid === member.userId,
    ).uid;
    const byKey = await attach(runId, { key: member.key });
    const minted = await call("POST", `${RUNS}/${runId}/session-token`, { key: member.key });
    const byToken = await attach(runId, { token: minted.json.token });
    const stream = await sse(runId, member.key);

    expect((await call("DELETE", `/api/v1/api-keys/${keyId}`, { key: team.key })).status).toBe(204);
    expect(await byKey.untilClosed()).toMatchObject({ code: 4003 });
    expect(await byToken.untilClosed()).toMatchObject({ code: 4003 });
    await untilEnded(stream);
    // the token dies with its key
    expect((await attachRequest(runId, { token: minted.json.token })).status).toBe(401);
  });

  it("a follow-up frame on a socket whose key was revoked behind the session's back is refused", async () => {
    const { team, member, runId, ref } = await steeredRun();
    const s = await attach(runId, { key: member.key });
    const minted = await call("POST", `${RUNS}/${runId}/session-token`, { key: member.key });
    const t = await attach(runId, { token: minted.json.token });
    await env.DB.prepare(
      "UPDATE api_keys SET revoked_at = ? WHERE team_id = ? AND principal_id = ?",
    )
      .bind(Date.now(), team.teamId, member.userId)
      .run();
    const before = await typesOf(ref);
    expect(await answer(s, { type: "followup", ref: "f", message: "x" })).toMatchObject({
      type: "error",
      code: "not_authorized",
    });
    expect(await answer(t, { type: "followup", ref: "f", message: "x" })).toMatchObject({
      type: "error",
      code: "not_authorized",
    });
    expect(await typesOf(ref)).toEqual(before);
    s.close();
    t.close();
  });
});

describe("deleting a named agent (a service account)", () => {
  it("closes the sockets its keys opened, as revoking them does", async () => {
    const team = await newTeam("live-grant");
    const uid = (
      await call("POST", "/api/v1/agent/identities", { key: team.key, body: { name: "bot" } })
    ).json.uid;
    const secret = `ambit_${crypto.randomUUID().replaceAll("-", "")}`;
    const hash = [
      ...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret))),
    ]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    await env.DB.prepare(
      "INSERT INTO api_keys (id, team_id, principal_type, principal_id, name, prefix, key_hash, role, created_at) VALUES (?, ?, 'service_account', ?, 'bot key', 'ambit_x', ?, 'member', ?)",
    )
      .bind(`k-${uid}`, team.teamId, uid, hash, Date.now())
      .run();
    const runId = await createRun(team.key, { prompt: "the bot watches" });
    const s = await attach(runId, { key: secret });
    expect(s.frames[0]).toMatchObject({ access: "EDITOR" });
    expect(
      (await call("DELETE", `/api/v1/agent/identities/${uid}`, { key: team.key })).status,
    ).toBe(204);
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });
  });
});

describe("a run's sharing shrinking", () => {
  it("a steering frame after the team lost EDITOR access (no push) is refused", async () => {
    const team = await newTeam("live-grant");
    const [creator, member] = await Promise.all([
      memberKey(team.key, "member"),
      memberKey(team.key, "member"),
    ]);
    const runId = await createRun(creator.key, {
      prompt: "mine",
      team: false,
      sharing: { team: "EDITOR" },
    });
    const s = await attach(runId, { key: member.key });
    expect(s.frames[0]).toMatchObject({ access: "EDITOR" });
    await env.DB.prepare("UPDATE runs SET share_team = 'VIEWER' WHERE id = ?").bind(runId).run();
    expect(await answer(s, { type: "followup", ref: "f", message: "x" })).toMatchObject({
      type: "error",
      code: "not_authorized",
    });
    await env.DB.prepare("UPDATE runs SET share_team = 'NONE' WHERE id = ?").bind(runId).run();
    expect(await answer(s, { type: "cancel", ref: "c" })).toMatchObject({
      type: "error",
      code: "not_authorized",
    });
    s.close();
  });
});
