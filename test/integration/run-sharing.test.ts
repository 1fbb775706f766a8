// Per-run sharing: a personal run shared with the team (to watch, or to steer), the read-only
// public link (no API key, that one run only, revocable), and who may change sharing.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import {
  advance,
  createRun,
  hostAppend,
  idsOf,
  listRuns,
  messages,
  RUNS,
} from "../helpers/runs.ts";
import { attach, SseReader, TestSocket } from "../helpers/sockets.ts";

const share = (runId: string, key: string, body: Json) =>
  call("PATCH", `${RUNS}/${runId}/sharing`, { key, body });
const publicPath = (url: string) => new URL(url).pathname;
const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`${BASE}${path}`, { headers }));

async function teamWithPeople() {
  const team = await newTeam("share");
  const [creator, member, viewer, admin] = await Promise.all([
    memberKey(team.key, "member"),
    memberKey(team.key, "member"),
    memberKey(team.key, "viewer"),
    memberKey(team.key, "admin"),
  ]);
  return { team, creator, member, viewer, admin };
}

describe("sharing a personal run with the team", () => {
  it("team VIEWER: teammates list, get and attach it read-only; nobody but the creator steers", async () => {
    const { creator, member, viewer } = await teamWithPeople();
    const create = await call("POST", RUNS, {
      key: creator.key,
      body: { prompt: "mine, to watch", team: false, sharing: { team: "VIEWER" } },
    });
    expect(create.status, create.text).toBe(200);
    expect(create.json.sharing).toEqual({ team: "VIEWER", public: "NONE" });
    const runId = create.json.run_id;

    for (const who of [member, viewer]) {
      expect(idsOf(await listRuns(who.key))).toContain(runId);
      const got = await call("GET", `${RUNS}/${runId}`, { key: who.key });
      expect(got.json).toMatchObject({
        scope: { type: "User", uid: creator.userId },
        sharing: { team: "VIEWER", public: "NONE" },
      });
      const s = await attach(runId, { key: who.key });
      expect(s.frames[0]).toMatchObject({ access: "VIEWER" });
      s.send({ type: "followup", ref: "f", message: "let me steer" });
      expect(await s.nth("error", 1)).toMatchObject({ ref: "f", code: "not_authorized" });
      s.close();
      const refused = expectProblem(
        await call("POST", `${RUNS}/${runId}/followups`, { key: who.key, body: { message: "x" } }),
        403,
        "not_authorized",
      );
      expect(refused.detail).toMatch(/team:edit/);
      expectProblem(
        await call("POST", `${RUNS}/${runId}/cancel`, { key: who.key }),
        403,
        "not_authorized",
      );
      expect(
        (await call("POST", `${RUNS}/${runId}/session-token`, { key: who.key })).json.access,
      ).toBe("VIEWER");
    }
    // the creator still steers
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: creator.key,
          body: { message: "mine" },
        })
      ).status,
    ).toBe(200);
  });

  it("team EDITOR: members steer (follow-ups, cancel over the session); a viewer-role key only watches", async () => {
    const { creator, member, viewer } = await teamWithPeople();
    const runId = await createRun(creator.key, {
      prompt: "mine, to steer together",
      team: false,
      sharing: { team: "EDITOR" },
    });

    const steer = await call("POST", `${RUNS}/${runId}/followups`, {
      key: member.key,
      body: { message: "from a teammate" },
    });
    expect(steer.status, steer.text).toBe(200);
    const v = await attach(runId, { key: viewer.key });
    expect(v.frames[0]).toMatchObject({ access: "VIEWER" });
    v.close();
    expectProblem(
      await call("POST", `${RUNS}/${runId}/followups`, { key: viewer.key, body: { message: "x" } }),
      403,
      "not_authorized",
    );

    const m = await attach(runId, { key: member.key });
    expect(m.frames[0]).toMatchObject({ access: "EDITOR" });
    m.send({ type: "cancel", ref: "c" });
    expect(await m.nth("ack", 1)).toMatchObject({ ref: "c" });
    m.close();
    expect((await call("GET", `${RUNS}/${runId}`, { key: creator.key })).json.state).toBe(
      "CANCELLED",
    );
  });

  it("stays invisible to teammates by default, and is never visible to another team", async () => {
    const { team, creator, member } = await teamWithPeople();
    const other = await newTeam("share");
    const personal = await createRun(creator.key, { prompt: "only mine", team: false });
    expect((await call("GET", `${RUNS}/${personal}`, { key: creator.key })).json.sharing).toEqual({
      team: "NONE",
      public: "NONE",
    });
    expectProblem(
      await call("GET", `${RUNS}/${personal}`, { key: member.key }),
      404,
      "resource_not_found",
    );
    expectProblem(await share(personal, team.key, { team: "VIEWER" }), 404, "resource_not_found"); // an owner does not see it either

    const shared = await createRun(creator.key, {
      prompt: "shared",
      team: false,
      sharing: { team: "EDITOR", public: "VIEWER" },
    });
    expect(idsOf(await listRuns(other.key))).toEqual([]);
    expectProblem(
      await call("GET", `${RUNS}/${shared}`, { key: other.key }),
      404,
      "resource_not_found",
    );
    expectProblem(await share(shared, other.key, { public: "NONE" }), 404, "resource_not_found");
    expectProblem(
      await call("POST", `${RUNS}/${shared}/followups`, { key: other.key, body: { message: "x" } }),
      404,
      "resource_not_found",
    );
  });
});

describe("PATCH /agent/runs/{id}/sharing", () => {
  it("the creator shares and unshares; teammates see the change at once, and attached ones are dropped", async () => {
    const { creator, member } = await teamWithPeople();
    const runId = await createRun(creator.key, { prompt: "share later", team: false });
    expectProblem(
      await call("GET", `${RUNS}/${runId}`, { key: member.key }),
      404,
      "resource_not_found",
    );

    const shared = await share(runId, creator.key, { team: "EDITOR" });
    expect(shared.status, shared.text).toBe(200);
    expect(shared.json).toEqual({ team: "EDITOR", public: "NONE" });
    const s = await attach(runId, { key: member.key });
    expect(s.frames[0]).toMatchObject({ access: "EDITOR" });
    const mine = await attach(runId, { key: creator.key });

    expect((await share(runId, creator.key, { team: "NONE" })).json).toEqual({
      team: "NONE",
      public: "NONE",
    });
    expect(await s.until("the teammate's socket to close", () => s.closed)).toMatchObject({
      code: 4003,
    });
    expectProblem(
      await call("GET", `${RUNS}/${runId}`, { key: member.key }),
      404,
      "resource_not_found",
    );
    expect(idsOf(await listRuns(member.key))).not.toContain(runId);
    await new Promise((r) => setTimeout(r, 100));
    expect(mine.closed).toBeNull(); // the creator stays attached
    mine.close();
  });

  it("an attach token minted while the run was shared stops working once it is not", async () => {
    const { creator, member } = await teamWithPeople();
    const runId = await createRun(creator.key, {
      prompt: "shared for a while",
      team: false,
      sharing: { team: "EDITOR" },
    });
    const minted = await call("POST", `${RUNS}/${runId}/session-token`, { key: member.key });
    expect(minted.json.access).toBe("EDITOR");
    await share(runId, creator.key, { team: "VIEWER" });
    const s = await attach(runId, { token: minted.json.token });
    expect(s.frames[0]).toMatchObject({ access: "VIEWER" }); // the token's EDITOR fell with the sharing
    s.close();
    await share(runId, creator.key, { team: "NONE" });
    expectProblem(
      await call("GET", `${RUNS}/${runId}/events?token=${encodeURIComponent(minted.json.token)}`),
      404,
      "resource_not_found",
    );
  });

  it("an admin may change a run shared with them; a member who is not the creator and a viewer may not (403)", async () => {
    const { creator, member, viewer, admin } = await teamWithPeople();
    const runId = await createRun(creator.key, {
      prompt: "shared",
      team: false,
      sharing: { team: "VIEWER" },
    });
    const byMember = expectProblem(
      await share(runId, member.key, { team: "EDITOR" }),
      403,
      "not_authorized",
    );
    expect(byMember.detail).toMatch(/creator or a team admin/);
    expectProblem(await share(runId, viewer.key, { team: "EDITOR" }), 403, "not_authorized");
    expect((await call("GET", `${RUNS}/${runId}`, { key: creator.key })).json.sharing.team).toBe(
      "VIEWER",
    );
    expect((await share(runId, admin.key, { team: "EDITOR" })).json.team).toBe("EDITOR");
  });

  it("refuses bad values with 400 naming what to send instead", async () => {
    const { team, creator } = await teamWithPeople();
    const runId = await createRun(creator.key, { prompt: "p", team: false });
    const teamRun = await createRun(team.key, { prompt: "ours" });
    const pub = expectProblem(
      await share(runId, creator.key, { public: "EDITOR" }),
      400,
      "invalid_request",
    );
    expect(pub.detail).toMatch(/read-only.*team to EDITOR/);
    expect(pub.errors).toEqual([{ path: "public", message: expect.stringContaining("team:edit") }]);
    expectProblem(await share(runId, creator.key, { team: "OWNER" }), 400, "invalid_request");
    expect(
      expectProblem(await share(runId, creator.key, {}), 400, "invalid_request").detail,
    ).toMatch(/team and\/or public/);
    expect(
      expectProblem(
        await share(runId, creator.key, { emails: ["a@example.com"] }),
        400,
        "invalid_request",
      ).detail,
    ).toMatch(/not supported yet/);
    const none = expectProblem(
      await share(teamRun, team.key, { team: "NONE" }),
      400,
      "invalid_request",
    );
    expect(none.detail).toMatch(/team: false/);
    // on create too, and nothing is created
    expectProblem(
      await call("POST", RUNS, {
        key: team.key,
        body: { prompt: "p", sharing: { public: "EDITOR" } },
      }),
      400,
      "invalid_request",
    );
    expectProblem(
      await call("POST", RUNS, { key: team.key, body: { prompt: "p", sharing: { team: "NONE" } } }),
      400,
      "invalid_request",
    );
    const conflict = await call("POST", RUNS, {
      key: team.key,
      body: {
        prompt: "p",
        config: { session_sharing: { public_access: "VIEWER" } },
        sharing: { public: "NONE" },
      },
    });
    expect(expectProblem(conflict, 400, "invalid_request").detail).toMatch(/give only one/);
    expect(idsOf(await listRuns(team.key))).toEqual([teamRun]);
  });

  it("a team run shared to watch only: members watch, the creator steers (team VIEWER)", async () => {
    const { team, member } = await teamWithPeople();
    const runId = await createRun(team.key, {
      prompt: "ours, but mine to steer",
      sharing: { team: "VIEWER" },
    });
    const s = await attach(runId, { key: member.key });
    expect(s.frames[0]).toMatchObject({ access: "VIEWER" });
    s.close();
    expectProblem(
      await call("POST", `${RUNS}/${runId}/cancel`, { key: member.key }),
      403,
      "not_authorized",
    );
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: team.key })).status).toBe(200);
  });
});

describe("the public link (public VIEWER)", () => {
  async function publicRun() {
    const { team, creator, member } = await teamWithPeople();
    const create = await call("POST", RUNS, {
      key: creator.key,
      body: { prompt: "watch me", team: false, sharing: { public: "VIEWER" } },
    });
    expect(create.status, create.text).toBe(200);
    const runId = create.json.run_id as string;
    const ref = { runId, teamId: team.teamId };
    await advance(ref, "dispatch", "claim", "start");
    await hostAppend(ref, messages(1, 3));
    return { team, creator, member, runId, ref, sharing: create.json.sharing as Json };
  }

  it("reads that run and its events without a key — replay and live, over SSE and the websocket — and nothing else", async () => {
    const { creator, member, runId, ref, sharing } = await publicRun();
    expect(sharing).toEqual({
      team: "NONE",
      public: "VIEWER",
      public_url: expect.stringMatching(
        /^http:\/\/ambit\.test\/api\/v1\/public\/runs\/[A-Za-z0-9_-]{43}$/,
      ),
      public_events_url: `${sharing.public_url}/events`,
      public_session_url: `${sharing.public_url.replace(/^http/, "ws")}/session`,
    });
    // the link does not make the run visible to teammates
    expectProblem(
      await call("GET", `${RUNS}/${runId}`, { key: member.key }),
      404,
      "resource_not_found",
    );

    const item = await call("GET", publicPath(sharing.public_url));
    expect(item.status, item.text).toBe(200);
    expect(item.json).toMatchObject({
      run_id: runId,
      prompt: "watch me",
      state: "INPROGRESS",
      session_link: sharing.public_session_url,
    });
    expect(item.json.agent_config).toBeUndefined();
    expect(item.json.creator).toEqual({ type: "user" }); // no email, no uid
    expect(item.text).not.toContain(creator.email);

    const page = await call("GET", `${publicPath(sharing.public_events_url)}?after=0`);
    expect(page.json.events.map((e: Json) => e.type)).toEqual([
      "run.created",
      "run.state_changed",
      "run.state_changed",
      "run.state_changed",
      "agent.message",
      "agent.message",
      "agent.message",
    ]);

    const res = await get(`${publicPath(sharing.public_events_url)}?after=4`, {
      accept: "text/event-stream",
    });
    expect(res.status).toBe(200);
    const sse = new SseReader(res);
    try {
      expect((await sse.until(3)).map((f) => f.id)).toEqual(["5", "6", "7"]);
      await hostAppend(ref, messages(4, 1));
      expect((await sse.until(4))[3]).toMatchObject({ id: "8", event: "agent.message" });
    } finally {
      await sse.cancel();
    }

    const ws = await get(publicPath(sharing.public_session_url), { upgrade: "websocket" });
    expect(ws.status).toBe(101);
    const s = new TestSocket(ws.webSocket!);
    expect(await s.nth("ready", 1)).toMatchObject({ run_id: runId, access: "VIEWER" });
    await s.until("the replay", () => s.events().length === 8 || undefined);
    s.send({ type: "followup", ref: "f", message: "anonymous steering" });
    expect(await s.nth("error", 1)).toMatchObject({ ref: "f", code: "not_authorized" });
    s.send({ type: "cancel", ref: "c" });
    expect(await s.nth("error", 2)).toMatchObject({ ref: "c", code: "not_authorized" });
    s.close();
    expect((await call("GET", `${RUNS}/${runId}`, { key: creator.key })).json.state).toBe(
      "INPROGRESS",
    );
  });

  it("opens nothing else: no other run, no API route, no writes", async () => {
    const { creator, runId, sharing } = await publicRun();
    const other = await createRun(creator.key, { prompt: "not shared" });
    const shareId = sharing.public_url.split("/").pop();
    for (const path of [
      `${RUNS}/${runId}`,
      `${RUNS}/${other}`,
      `${RUNS}/${runId}/events`,
      `${RUNS}/${runId}/conversation`,
      RUNS,
    ]) {
      expectProblem(
        await call("GET", path, { headers: { authorization: `Bearer ${shareId}` } }),
        401,
        "authentication_required",
      );
      expectProblem(
        await call("GET", `${path}${path.includes("?") ? "&" : "?"}token=${shareId}`),
        401,
        "authentication_required",
      );
    }
    expectProblem(
      await call("POST", `${RUNS}/${runId}/followups`, {
        headers: { authorization: `Bearer ${shareId}` },
        body: { message: "x" },
      }),
      401,
      "authentication_required",
    );
    // no write exists under the link: anything else there needs an API key
    expectProblem(
      await call("POST", `${publicPath(sharing.public_url)}/followups`, { body: { message: "x" } }),
      401,
      "authentication_required",
    );
    expectProblem(
      await call("PATCH", `${publicPath(sharing.public_url)}/sharing`, {
        body: { public: "NONE" },
      }),
      401,
      "authentication_required",
    );
    expect((await call("GET", publicPath(sharing.public_url))).status).toBe(200); // still shared
    // a made-up link is simply not found
    const made = expectProblem(
      await call("GET", `/api/v1/public/runs/${"A".repeat(43)}`),
      404,
      "resource_not_found",
    );
    expect(made.detail).toMatch(/revoked/);
    expect(made.detail).not.toContain(runId);
  });

  it("stops working once revoked (watchers are dropped); sharing again makes a new link", async () => {
    const { creator, runId, sharing } = await publicRun();
    const ws = await get(publicPath(sharing.public_session_url), { upgrade: "websocket" });
    const s = new TestSocket(ws.webSocket!);
    await s.nth("ready", 1);
    const sseRes = await get(publicPath(sharing.public_events_url), {
      accept: "text/event-stream",
    });
    const sse = new SseReader(sseRes);
    await sse.until(7);

    expect((await share(runId, creator.key, { public: "NONE" })).json).toEqual({
      team: "NONE",
      public: "NONE",
    });
    expect(await s.until("the public socket to close", () => s.closed)).toMatchObject({
      code: 4003,
    });
    await expect(sse.until(8)).rejects.toThrow(/ended/);
    for (const path of [sharing.public_url, sharing.public_events_url])
      expectProblem(await call("GET", publicPath(path)), 404, "resource_not_found");
    expect(
      (await get(publicPath(sharing.public_session_url), { upgrade: "websocket" })).status,
    ).toBe(404);
    expect((await call("GET", `${RUNS}/${runId}`, { key: creator.key })).json.sharing).toEqual({
      team: "NONE",
      public: "NONE",
    });

    const again = await share(runId, creator.key, { public: "VIEWER" });
    expect(again.json.public_url).not.toBe(sharing.public_url);
    expect((await call("GET", publicPath(again.json.public_url))).status).toBe(200);
    expectProblem(await call("GET", publicPath(sharing.public_url)), 404, "resource_not_found");
  });

  it("Oz's config.session_sharing.public_access EDITOR shares a personal run with the team, every role steering (as before)", async () => {
    const { creator, viewer } = await teamWithPeople();
    const create = await call("POST", RUNS, {
      key: creator.key,
      body: {
        prompt: "oz editor",
        team: false,
        config: { session_sharing: { public_access: "EDITOR" } },
      },
    });
    expect(create.json.sharing).toBeUndefined(); // the Oz answer stays Oz's when no public link was made
    const runId = create.json.run_id;
    expect((await call("GET", `${RUNS}/${runId}`, { key: viewer.key })).json.sharing).toEqual({
      team: "EDITOR",
      public: "NONE",
    });
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: viewer.key,
          body: { message: "oz lets me" },
        })
      ).status,
    ).toBe(200);
    const clash = await call("POST", RUNS, {
      key: creator.key,
      body: {
        prompt: "p",
        team: false,
        config: { session_sharing: { public_access: "EDITOR" } },
        sharing: { team: "VIEWER" },
      },
    });
    expect(expectProblem(clash, 400, "invalid_request").errors).toEqual([
      { path: "sharing.team", message: expect.stringMatching(/give only one/) },
    ]);
  });

  it("Oz's config.session_sharing.public_access VIEWER makes the same link", async () => {
    const team = await newTeam("share");
    const create = await call("POST", RUNS, {
      key: team.key,
      body: { prompt: "oz style", config: { session_sharing: { public_access: "VIEWER" } } },
    });
    expect(create.json.sharing).toMatchObject({
      team: "EDITOR",
      public: "VIEWER",
      public_url: expect.any(String),
    });
    expect((await call("GET", publicPath(create.json.sharing.public_url))).json.run_id).toBe(
      create.json.run_id,
    );
  });
});
