// Presence names who watches a run, for the run's team: a member by display name (else email), a
// service account by its named agent; the public link's viewers are counted, never named (see
// test/security/public-view-no-member-ids.test.ts).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, RUNS } from "../helpers/runs.ts";
import { attach, TestSocket } from "../helpers/sockets.ts";
import { serviceAccountKey } from "../helpers/web-sessions.ts";

const byType = (frame: Json, type: string) =>
  (frame.attached as Json[]).filter((e) => e.principal.type === type);

describe("presence by name", () => {
  it("names members (display name, else email) and service accounts; counts public viewers", async () => {
    const team = await newTeam("presence");
    const viewer = await memberKey(team.key, "viewer");
    const bot = await serviceAccountKey(team);
    const runId = await createRun(team.key, { prompt: "watch", sharing: { public: "VIEWER" } });
    const run = await call("GET", `${RUNS}/${runId}`, { key: team.key });
    const owner = await attach(runId, { key: team.key });
    const member = await attach(runId, { key: viewer.key });
    const agent = await attach(runId, { key: bot });
    const publicUrl = new URL(run.json.sharing.public_session_url as string);
    const links: TestSocket[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await exports.default.fetch(
        new Request(`${BASE}${publicUrl.pathname}`, { headers: { upgrade: "websocket" } }),
      );
      expect(res.status).toBe(101);
      links.push(new TestSocket(res.webSocket!));
    }
    const frame = await owner.until("everyone in presence", () =>
      owner
        .ofType("presence")
        .find((f) => f.attached.length === 4 && byType(f, "public")[0]?.connections === 2),
    );
    expect(
      byType(frame, "user")
        .map((e) => [e.principal.id, e.name])
        .sort(),
    ).toEqual(
      [
        [team.userId, expect.stringMatching(/^Owner \d+$/)],
        [viewer.userId, viewer.email],
      ].sort(),
    );
    expect(byType(frame, "service_account")[0]!.name).toMatch(/^bot-/);
    expect(byType(frame, "public")).toEqual([
      { principal: { type: "public", id: "public-link" }, access: "VIEWER", connections: 2 },
    ]);
    for (const s of [owner, member, agent, ...links]) s.close();
  });
});
