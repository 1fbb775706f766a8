// Finding 11 (second half): public-link viewers saw teammates' internal user ids, in presence
// frames and as the actors of events. A public view (the JSON run and events, SSE, the websocket)
// now names no member: actors and presence keep their type and carry the id "anonymous".
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, hostAppend, messages, RUNS } from "../helpers/runs.ts";
import { attach, SseReader, TestSocket } from "../helpers/sockets.ts";

const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(new Request(`${BASE}${path}`, { headers }));
const pathOf = (url: string) => new URL(url).pathname;

async function publicRunWithTeammates() {
  const team = await newTeam("anon");
  const [creator, teammate] = await Promise.all([
    memberKey(team.key, "member"),
    memberKey(team.key, "member"),
  ]);
  const create = await call("POST", RUNS, {
    key: creator.key,
    body: { prompt: "watch us", sharing: { public: "VIEWER" } },
  });
  expect(create.status, create.text).toBe(200);
  const runId = create.json.run_id as string;
  const ref = { runId, teamId: team.teamId };
  await advance(ref, "dispatch", "claim", "start");
  await hostAppend(ref, messages(1, 2));
  expect(
    (
      await call("POST", `${RUNS}/${runId}/followups`, {
        key: teammate.key,
        body: { message: "from a teammate" },
      })
    ).status,
  ).toBe(200);
  const ids = [team.userId, creator.userId, teammate.userId];
  return { team, creator, teammate, runId, ref, ids, sharing: create.json.sharing as Json };
}

function expectNoIds(text: string, ids: string[]) {
  for (const id of ids) expect(text, `a member id (${id}) in a public view`).not.toContain(id);
}

describe("a public view names no member", () => {
  it("the JSON run and its events page: actors are anonymous", async () => {
    const { ids, sharing } = await publicRunWithTeammates();
    const item = await call("GET", pathOf(sharing.public_url));
    expect(item.status).toBe(200);
    expectNoIds(item.text, ids);
    const page = await call("GET", pathOf(sharing.public_events_url));
    expect(page.status).toBe(200);
    expectNoIds(page.text, ids);
    const actors = page.json.events.map((e: Json) => e.actor);
    expect(actors).toContainEqual({ type: "user", id: "anonymous" });
    expect(actors).toContainEqual({ type: "system", id: "system" }); // the platform's own actors are not people
  });

  it("SSE: replayed and live events carry anonymous actors", async () => {
    const { ref, ids, teammate, runId, sharing } = await publicRunWithTeammates();
    const res = await get(pathOf(sharing.public_events_url), { accept: "text/event-stream" });
    const sse = new SseReader(res);
    try {
      await sse.until(7);
      expect(
        (
          await call("POST", `${RUNS}/${runId}/followups`, {
            key: teammate.key,
            body: { message: "live" },
          })
        ).status,
      ).toBe(200);
      await hostAppend(ref, messages(3, 1));
      const frames = await sse.until(9);
      expectNoIds(JSON.stringify(frames), ids);
      expect(sse.events().find((e) => e.type === "followup.received")!.actor).toEqual({
        type: "user",
        id: "anonymous",
      });
    } finally {
      await sse.cancel();
    }
  });

  it("the websocket: replay, live events and presence carry no member ids; teammates still see them", async () => {
    const { creator, teammate, runId, ids, sharing } = await publicRunWithTeammates();
    const mate = await attach(runId, { key: teammate.key });
    const res = await get(pathOf(sharing.public_session_url), { upgrade: "websocket" });
    expect(res.status).toBe(101);
    const pub = new TestSocket(res.webSocket!);
    await pub.until("the replay", () => pub.events().length >= 7 || undefined);
    await pub.until("presence with the teammate", () =>
      pub.ofType("presence").find((f) => f.attached.some((e: Json) => e.principal.type === "user")),
    );
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: creator.key,
          body: { message: "live from the creator" },
        })
      ).status,
    ).toBe(200);
    await pub.until(
      "the live follow-up",
      () => pub.events().filter((e) => e.type === "followup.received").length === 2 || undefined,
    );
    expectNoIds(JSON.stringify(pub.frames), ids);
    // nor names: the teammates' emails never reach the link's viewers (the team sees them below)
    expectNoIds(JSON.stringify(pub.frames), [teammate.email, creator.email]);
    expect(pub.ofType("presence").some((f) => f.attached.some((e: Json) => "name" in e))).toBe(
      false,
    );
    expect(pub.ofType("presence").at(-1)!.attached).toContainEqual(
      expect.objectContaining({ principal: { type: "user", id: "anonymous" } }),
    );

    // the team's own view is unchanged: real actors and presence
    await mate.until("presence naming the public viewer", () =>
      mate
        .ofType("presence")
        .find((f) => f.attached.some((e: Json) => e.principal.type === "public")),
    );
    expect(
      mate
        .ofType("presence")
        .at(-1)!
        .attached.find((e: Json) => e.principal.type === "user"),
    ).toMatchObject({ principal: { id: teammate.userId }, name: teammate.email });
    expect(mate.events().find((e) => e.type === "followup.received")!.actor).toEqual({
      type: "user",
      id: teammate.userId,
    });
    await mate.until(
      "the live follow-up",
      () =>
        mate
          .events()
          .some((e) => e.type === "followup.received" && e.actor.id === creator.userId) ||
        undefined,
    );
    pub.close();
    mate.close();
  });

  it("a LOCAL run's host (its creator's CLI, `local:<user id>`) is anonymous too", async () => {
    const team = await newTeam("anon");
    const member = await memberKey(team.key, "member");
    const runId = await createRun(
      member.key,
      { prompt: "here", execution_location: "LOCAL", sharing: { public: "VIEWER" } },
      { "x-oz-api-source": "CLI" },
    );
    expect((await call("POST", `${RUNS}/${runId}/local/claim`, { key: member.key })).status).toBe(
      200,
    );
    expect(
      (
        await call("POST", `${RUNS}/${runId}/local/report`, {
          key: member.key,
          body: { type: "task_started", data: { task_id: runId } },
        })
      ).status,
    ).toBe(200);
    const item = await call("GET", `${RUNS}/${runId}`, { key: member.key });
    const events = await call("GET", pathOf(item.json.sharing.public_events_url));
    expect(events.json.events.map((e: Json) => e.actor)).toContainEqual({
      type: "host",
      id: "anonymous",
    });
    expectNoIds(events.text, [member.userId]);
  });

  it("a run cancelled before it started says so without naming who (its status message is public)", async () => {
    const team = await newTeam("anon");
    const member = await memberKey(team.key, "member");
    const runId = await createRun(member.key, { prompt: "p", sharing: { public: "VIEWER" } });
    expect((await call("POST", `${RUNS}/${runId}/cancel`, { key: member.key })).status).toBe(200);
    const item = await call("GET", `${RUNS}/${runId}`, { key: member.key });
    expect(item.json.state).toBe("CANCELLED");
    const pub = await call("GET", pathOf(item.json.sharing.public_url));
    const events = await call("GET", pathOf(item.json.sharing.public_events_url));
    expectNoIds(pub.text + events.text, [member.userId, team.userId]);
  });
});
