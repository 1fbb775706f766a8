import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  ATTACH_TOKEN_TTL_S,
  signAttachToken,
  verifyAttachToken,
} from "../../src/lib/attach-token.ts";
import { BASE, call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, eventsOf, hostAppend, messages, RUNS } from "../helpers/runs.ts";
import { attach, attachRequest, SseReader, tokenFor } from "../helpers/sockets.ts";

const UPGRADE = { upgrade: "websocket" };

async function newRun() {
  const team = await newTeam("attach");
  const runId = await createRun(team.key, { prompt: "Attach to me" });
  return { team, runId, ref: { runId, teamId: team.teamId } };
}

/** A run with 14 events: created, dispatch, claim, start and ten agent messages. */
async function runWithLog() {
  const run = await newRun();
  await advance(run.ref, "dispatch", "claim", "start");
  await hostAppend(run.ref, messages(1, 10));
  return run;
}

const mintToken = (runId: string, key: string) =>
  call("POST", `${RUNS}/${runId}/session-token`, { key });

describe("GET /agent/runs/{id}/session (websocket attach)", () => {
  it("attaches with an API key: EDITOR for members and above, VIEWER for viewers", async () => {
    const { team, runId } = await newRun();
    const res = await attachRequest(runId, { key: team.key });
    expect(res.status).toBe(101);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    res.webSocket!.accept();
    res.webSocket!.close();
    for (const [role, access] of [
      ["admin", "EDITOR"],
      ["member", "EDITOR"],
      ["viewer", "VIEWER"],
    ] as const) {
      const m = await memberKey(team.key, role);
      const s = await attach(runId, { key: m.key });
      expect(s.frames[0], role).toEqual({
        type: "ready",
        run_id: runId,
        state: "QUEUED",
        last_seq: 1,
        access,
        execution_id: 1,
      });
      s.close();
    }
  });

  it("lets every teammate steer when the run's session_sharing.public_access is EDITOR", async () => {
    const team = await newTeam("attach");
    const viewer = await memberKey(team.key, "viewer");
    const runId = await createRun(team.key, {
      prompt: "shared",
      config: { session_sharing: { public_access: "EDITOR" } },
    });
    const s = await attach(runId, { key: viewer.key });
    expect(s.frames[0]).toMatchObject({ access: "EDITOR" });
    s.send({ type: "followup", ref: "f", message: "from a viewer" });
    expect(await s.nth("ack", 1)).toMatchObject({ ref: "f", seqs: [2] });
    s.close();
    expect((await mintToken(runId, viewer.key)).json.access).toBe("EDITOR");
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: viewer.key,
          body: { message: "again" },
        })
      ).status,
    ).toBe(200);
  });

  it("refuses a request without credentials or with a bad key (401)", async () => {
    const { runId } = await newRun();
    expectProblem(
      await call("GET", `${RUNS}/${runId}/session`, { headers: UPGRADE }),
      401,
      "authentication_required",
    );
    expectProblem(
      await call("GET", `${RUNS}/${runId}/session`, { key: "ambit_not-a-key", headers: UPGRADE }),
      401,
      "authentication_required",
    );
    expectProblem(await call("GET", `${RUNS}/${runId}/events`), 401, "authentication_required");
  });

  it("answers 400 to a GET without a websocket upgrade", async () => {
    const { team, runId } = await newRun();
    const problem = expectProblem(
      await call("GET", `${RUNS}/${runId}/session`, { key: team.key }),
      400,
      "invalid_request",
    );
    expect(problem.detail).toMatch(/websocket/i);
  });

  it("answers 404 for another team's run, someone else's personal run and an unknown run", async () => {
    const { team, runId } = await newRun();
    const other = await newTeam("attach");
    const member = await memberKey(team.key, "member");
    const personal = await createRun(member.key, { prompt: "mine", team: false });
    const cases: [string, string][] = [
      [runId, other.key],
      [personal, team.key],
      ["00000000-0000-7000-8000-000000000000", team.key],
    ];
    for (const [id, key] of cases) {
      for (const path of [`${RUNS}/${id}/session`, `${RUNS}/${id}/events`]) {
        expectProblem(
          await call("GET", path, { key, headers: UPGRADE }),
          404,
          "resource_not_found",
        );
      }
      expectProblem(await mintToken(id, key), 404, "resource_not_found");
    }
    // the creator sees their personal run
    const s = await attach(personal, { key: member.key });
    expect(s.frames[0]).toMatchObject({ run_id: personal, access: "EDITOR" });
    s.close();
  });
});

describe("attach tokens", () => {
  it("POST /session-token mints a 10-minute token bound to the team, principal, run and access", async () => {
    const { team, runId } = await newRun();
    const before = Date.now();
    const res = await mintToken(runId, team.key);
    expect(res.status, res.text).toBe(200);
    const { token } = res.json;
    expect(res.json).toEqual({
      token: expect.any(String),
      access: "EDITOR",
      expires_at: expect.any(String),
      session_url: `ws://ambit.test${RUNS}/${runId}/session?token=${encodeURIComponent(token)}`,
      events_url: `${BASE}${RUNS}/${runId}/events?token=${encodeURIComponent(token)}`,
    });
    const ttl = Date.parse(res.json.expires_at) - before;
    expect(ttl).toBeGreaterThan((ATTACH_TOKEN_TTL_S - 5) * 1000);
    expect(ttl).toBeLessThanOrEqual((ATTACH_TOKEN_TTL_S + 1) * 1000);
    expect(await verifyAttachToken(env.JWT_SECRET, token)).toEqual({
      teamId: team.teamId,
      runId,
      principal: { type: "user", id: team.userId },
      access: "EDITOR",
      keyId: expect.any(String), // the key it was minted with: it dies with it
    });
  });

  it("attaches with ?token= alone, at the token's access level", async () => {
    const { team, runId } = await newRun();
    const viewer = await memberKey(team.key, "viewer");
    const minted = await mintToken(runId, viewer.key);
    expect(minted.json.access).toBe("VIEWER");
    const s = await attach(runId, { token: minted.json.token });
    expect(s.frames[0]).toMatchObject({ type: "ready", access: "VIEWER" });
    expect((await s.nth("presence", 1)).attached).toEqual([
      {
        principal: { type: "user", id: viewer.userId },
        access: "VIEWER",
        connections: 1,
        name: viewer.email, // no display name: the email
      },
    ]);
    s.send({ type: "cancel", ref: "c" });
    expect(await s.nth("error", 1)).toMatchObject({ code: "not_authorized" });
    s.close();

    const editor = await attach(runId, { token: (await mintToken(runId, team.key)).json.token });
    expect(editor.frames[0]).toMatchObject({ access: "EDITOR" });
    editor.close();
    // the session_url it answered works as given
    const url = new URL((await mintToken(runId, team.key)).json.session_url.replace(/^ws/, "http"));
    const res = await exports.default.fetch(new Request(url, { headers: UPGRADE }));
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    res.webSocket!.close();
  });

  it("refuses a forged, expired or malformed token (401) and a token for another run (404)", async () => {
    const { team, runId, ref } = await newRun();
    const other = await newRun();
    const sameTeamRun = await createRun(team.key, { prompt: "another run" });
    const principal = { type: "user" as const, id: team.userId };
    const forged = (
      await signAttachToken("not-the-secret-0123456789abcdefghijklmn", {
        ...ref,
        principal,
        access: "EDITOR",
      })
    ).token;
    const expired = await tokenFor(ref, "EDITOR", principal, -60);
    for (const token of [forged, expired, "not.a.jwt", "x"]) {
      expectProblem(
        await call("GET", `${RUNS}/${runId}/session?token=${encodeURIComponent(token)}`, {
          headers: UPGRADE,
        }),
        401,
        "authentication_required",
      );
      expectProblem(
        await call("GET", `${RUNS}/${runId}/events?token=${encodeURIComponent(token)}`),
        401,
        "authentication_required",
      );
    }
    const valid = await tokenFor(ref, "EDITOR", principal);
    for (const id of [sameTeamRun, other.runId]) {
      expectProblem(
        await call("GET", `${RUNS}/${id}/session?token=${valid}`, { headers: UPGRADE }),
        404,
        "resource_not_found",
      );
      expectProblem(
        await call("GET", `${RUNS}/${id}/events?token=${valid}`),
        404,
        "resource_not_found",
      );
    }
    // a token of another team (its own member) claiming this run does not reach it either
    const crossTeam = await tokenFor({ runId, teamId: other.team.teamId }, "EDITOR", {
      type: "user",
      id: other.team.userId,
    });
    expectProblem(
      await call("GET", `${RUNS}/${runId}/events?token=${crossTeam}`),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("GET", `${RUNS}/${runId}/session?token=${crossTeam}`, { headers: UPGRADE }),
      404,
      "resource_not_found",
    );
  });
});

describe("attach tokens after the team changed", () => {
  it("a removed member's token no longer attaches (401), and a demoted member's EDITOR token only watches", async () => {
    const { team, runId } = await newRun();
    const leaving = await memberKey(team.key, "member");
    const demoted = await memberKey(team.key, "member");
    const leavingToken = (await mintToken(runId, leaving.key)).json.token;
    const demotedToken = (await mintToken(runId, demoted.key)).json.token;
    expect(
      (await call("DELETE", `/api/v1/team/members/${leaving.userId}`, { key: team.key })).status,
    ).toBe(204);
    expect(
      (
        await call("PATCH", `/api/v1/team/members/${demoted.userId}`, {
          key: team.key,
          body: { role: "viewer" },
        })
      ).status,
    ).toBe(200);

    const refused = await call(
      "GET",
      `${RUNS}/${runId}/session?token=${encodeURIComponent(leavingToken)}`,
      { headers: UPGRADE },
    );
    expectProblem(refused, 401, "authentication_required");
    expect(refused.json.detail).toMatch(/no longer a member/);
    expectProblem(
      await call("GET", `${RUNS}/${runId}/events?token=${encodeURIComponent(leavingToken)}`),
      401,
      "authentication_required",
    );

    const s = await attach(runId, { token: demotedToken });
    expect(s.frames[0]).toMatchObject({ type: "ready", access: "VIEWER" });
    s.send({ type: "followup", message: "still steering?", ref: "f" });
    expect(await s.nth("error", 1)).toMatchObject({ code: "not_authorized" });
    s.close();
  });

  it("refuses a follow-up longer than the event text limit with a message that says what to do", async () => {
    const { team, runId } = await newRun();
    const res = await call("POST", `${RUNS}/${runId}/followups`, {
      key: team.key,
      body: { message: "x".repeat(64 * 1024 + 1) },
    });
    expectProblem(res, 400, "invalid_request");
    expect(JSON.stringify(res.json.errors)).toMatch(
      /at most 65536 characters; put longer text in a file/,
    );
  });
});

describe("GET /agent/runs/{id}/events", () => {
  it("answers a JSON page with after, limit, last_seq and has_more", async () => {
    const { team, runId, ref } = await runWithLog();
    const all = (await eventsOf(ref))!;
    expect(all).toHaveLength(14);
    const page = await call("GET", `${RUNS}/${runId}/events?after=2&limit=5`, { key: team.key });
    expect(page.status, page.text).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^application\/json/);
    expect(page.json).toEqual({ events: all.slice(2, 7), last_seq: 14, has_more: true });
    const rest = await call("GET", `${RUNS}/${runId}/events?after=7&limit=100`, { key: team.key });
    expect(rest.json).toEqual({ events: all.slice(7), last_seq: 14, has_more: false });
    expect((await call("GET", `${RUNS}/${runId}/events`, { key: team.key })).json).toEqual({
      events: all,
      last_seq: 14,
      has_more: false,
    });
    expect((await call("GET", `${RUNS}/${runId}/events?after=14`, { key: team.key })).json).toEqual(
      { events: [], last_seq: 14, has_more: false },
    );
    // a viewer reads it too, and so does a token holder
    const viewer = await memberKey(team.key, "viewer");
    expect(
      (await call("GET", `${RUNS}/${runId}/events?limit=1`, { key: viewer.key })).json,
    ).toEqual({ events: all.slice(0, 1), last_seq: 14, has_more: true });
    const token = (await mintToken(runId, viewer.key)).json.token;
    expect((await call("GET", `${RUNS}/${runId}/events?after=13&token=${token}`)).json).toEqual({
      events: all.slice(13),
      last_seq: 14,
      has_more: false,
    });
  });

  it("refuses a bad after or limit with 400", async () => {
    const { team, runId } = await newRun();
    for (const q of ["after=-1", "after=x", "limit=0", "limit=1001"]) {
      expectProblem(
        await call("GET", `${RUNS}/${runId}/events?${q}`, { key: team.key }),
        400,
        "invalid_request",
      );
    }
  });

  it("streams Server-Sent Events: the replay with id = seq, then live events", async () => {
    const { team, runId, ref } = await runWithLog();
    const res = await exports.default.fetch(
      new Request(`${BASE}${RUNS}/${runId}/events?after=4`, {
        headers: { authorization: `Bearer ${team.key}`, accept: "text/event-stream" },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sse = new SseReader(res);
    try {
      const replay = await sse.until(10);
      expect(replay.map((f) => f.id)).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 5)));
      expect(replay.every((f) => f.event === "agent.message")).toBe(true);
      expect(sse.events()).toEqual(await eventsOf(ref, 4));
      // live
      await hostAppend(ref, messages(11, 2));
      await advance(ref, "succeed");
      const live = (await sse.until(13)).slice(10);
      expect(live.map((f) => [f.id, f.event])).toEqual([
        ["15", "agent.message"],
        ["16", "agent.message"],
        ["17", "run.state_changed"],
      ]);
      expect(sse.events()).toEqual(await eventsOf(ref, 4));
    } finally {
      await sse.cancel();
    }
  });

  it("resumes Server-Sent Events after Last-Event-ID, and takes ?token=", async () => {
    const { team, runId, ref } = await runWithLog();
    const token = (await mintToken(runId, team.key)).json.token;
    const res = await exports.default.fetch(
      new Request(`${BASE}${RUNS}/${runId}/events?token=${token}`, {
        headers: { accept: "text/event-stream", "last-event-id": "11" },
      }),
    );
    expect(res.status).toBe(200);
    const sse = new SseReader(res);
    try {
      expect((await sse.until(3)).map((f) => f.id)).toEqual(["12", "13", "14"]);
      expect(sse.events()).toEqual(await eventsOf(ref, 11));
      await hostAppend(ref, messages(11, 1));
      expect((await sse.until(4))[3].id).toBe("15");
    } finally {
      await sse.cancel();
    }
    // an explicit ?after= wins over Last-Event-ID
    const both = await exports.default.fetch(
      new Request(`${BASE}${RUNS}/${runId}/events?after=13`, {
        headers: {
          authorization: `Bearer ${team.key}`,
          accept: "text/event-stream",
          "last-event-id": "2",
        },
      }),
    );
    const again = new SseReader(both);
    try {
      expect((await again.until(2)).map((f) => f.id)).toEqual(["14", "15"]);
    } finally {
      await again.cancel();
    }
  });

  it("answers 404 to an SSE request for another team's run", async () => {
    const { runId } = await newRun();
    const other = await newTeam("attach");
    const res = await call("GET", `${RUNS}/${runId}/events`, {
      key: other.key,
      headers: { accept: "text/event-stream" },
    });
    expectProblem(res, 404, "resource_not_found");
  });
});
