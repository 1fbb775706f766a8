// Signing in to the web console: a one-time link or a user's API key becomes a server-side session
// in an HttpOnly cookie; /me, the list of one's sessions, revoking one, signing out, and the ends of
// a session (absolute and idle expiry).
import { env, exports } from "cloudflare:workers";
import { runHousekeeping } from "../../src/cron/housekeeping.ts";
import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import {
  asConsole,
  mintLink,
  openLink,
  ORIGIN,
  serviceAccountKey,
  sessionRow,
  sessionSet,
  signIn,
} from "../helpers/web-sessions.ts";

describe("sign-in link", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie and redirects (303) to next=, once", async () => {
    const team = await newTeam("link");
    const token = await mintLink(team);
    const head = await call("HEAD", `/auth/link/${token}`, { redirect: "manual" });
    expect([head.status, head.headers.get("set-cookie")]).toEqual([200, null]);
    const res = await openLink(`/auth/link/${token}?next=${encodeURIComponent("/runs/abc?x=1")}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/runs/abc?x=1");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const { token: session, raw } = sessionSet(res);
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(raw).toMatch(/HttpOnly/);
    expect(raw).toMatch(/SameSite=Lax/);
    expect(raw).toMatch(/Path=\//);
    expect(raw).not.toMatch(/Secure/); // http: the test origin
    const maxAge = Number(/Max-Age=(\d+)/.exec(raw)?.[1]);
    expect(maxAge).toBeGreaterThan(30 * 86400 - 60);
    expect(maxAge).toBeLessThanOrEqual(30 * 86400);

    const me = await call("GET", "/api/v1/me", { headers: asConsole(session!, null) });
    expect(me.status, me.text).toBe(200);
    expect(me.json).toEqual({
      user: { uid: team.userId, name: expect.any(String), email: team.email },
      team: { uid: team.teamId, name: expect.stringMatching(/^link-/) },
      role: "owner",
      personal: true,
      via: "session",
    });

    // single use: the same link again signs nobody in (a HEAD before would not have used it)
    const again = await openLink(`/auth/link/${token}`);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/sign-in?error=link_expired");
    expect(sessionSet(again).token).toBeUndefined();
  });

  it("the cookie is Secure on https", async () => {
    const team = await newTeam("link-https");
    const res = await exports.default.fetch(
      new Request(`https://ambit.test/auth/link/${await mintLink(team)}`, { redirect: "manual" }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/; Secure/);
  });

  it("an expired or unknown link redirects to /sign-in?error=link_expired and sets nothing", async () => {
    const team = await newTeam("link-expired");
    const expired = await mintLink(team, -1);
    for (const token of [expired, "nope", "x".repeat(43)]) {
      const res = await openLink(`/auth/link/${token}`);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/sign-in?error=link_expired");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });

  it("next= goes only to a path of this origin; anything else goes to /", async () => {
    const team = await newTeam("link-next");
    const cases: [string, string][] = [
      ["https://evil.example/x", "/"],
      ["//evil.example/x", "/"],
      ["/\\evil.example/x", "/"],
      ["\\\\evil.example", "/"],
      ["/\t/evil.example", "/"],
      ["javascript:alert(1)", "/"],
      ["runs", "/"],
      ["/settings/sessions#top", "/settings/sessions#top"],
    ];
    for (const [next, where] of cases) {
      const res = await openLink(
        `/auth/link/${await mintLink(team)}?next=${encodeURIComponent(next)}`,
      );
      expect(res.status).toBe(303);
      expect(res.headers.get("location"), next).toBe(where);
    }
  });
});

describe("API key sign-in", () => {
  it("a user's key opens a session that acts as the key does", async () => {
    const team = await newTeam("key-sign-in");
    const member = await memberKey(team.key, "member");
    const session = await signIn(member.key);
    const me = await call("GET", "/api/v1/me", { headers: asConsole(session) });
    expect(me.json).toMatchObject({
      user: { uid: member.userId },
      role: "member",
      personal: true,
      via: "session",
    });
  });

  it("a bad key is 401, a service account's key 403 naming why; neither sets a cookie", async () => {
    const team = await newTeam("key-refused");
    const bad = await call("POST", "/auth/sign-in", { body: { api_key: "ambit_nope" } });
    expect(expectProblem(bad, 401, "authentication_required").detail).toMatch(
      /^This API key is not known\. Sign in with an API key of your own/,
    );
    const notAKey = await call("POST", "/auth/sign-in", { body: { api_key: "hunter2" } });
    expect(expectProblem(notAKey, 401, "authentication_required").detail).toMatch(
      /^This is not an API key \(they start with ambit_\)/,
    );
    expect(notAKey.text).not.toContain("hunter2");
    expect(bad.headers.get("set-cookie")).toBeNull();
    const agentKey = await serviceAccountKey(team);
    const refused = await call("POST", "/auth/sign-in", { body: { api_key: agentKey } });
    expect(expectProblem(refused, 403, "not_authorized").detail).toMatch(
      /service account.*only people sign in/,
    );
    expect(refused.headers.get("set-cookie")).toBeNull();
  });

  it("a key someone else minted (delegated) gives a session that is not personal", async () => {
    const team = await newTeam("key-delegated");
    const member = await memberKey(team.key, "member");
    const session = await signIn(member.delegatedKey);
    const me = await call("GET", "/api/v1/me", { headers: asConsole(session) });
    expect(me.json).toMatchObject({
      user: { uid: member.userId },
      personal: false,
      via: "session",
    });
    // so the member's personal resources stay out of reach, as with the key itself
    const secret = await call("POST", "/api/v1/agent/secrets", {
      headers: asConsole(session),
      body: { name: "MINE", value: "x", scope: "personal" },
    });
    expect(secret.status).toBe(403);
  });

  it("/me answers with an API key too", async () => {
    const team = await newTeam("me-key");
    const me = await call("GET", "/api/v1/me", { key: team.key });
    expect(me.json).toMatchObject({
      user: { uid: team.userId, email: team.email },
      team: { uid: team.teamId },
      role: "owner",
      personal: true,
      via: "api_key",
    });
  });
});

describe("sessions: list, revoke, sign out", () => {
  it("lists the caller's own sessions, marking the current one; another's is 404 to revoke", async () => {
    const team = await newTeam("sessions");
    const member = await memberKey(team.key, "member");
    const a = await signIn(team.key);
    const b = await signIn(team.key);
    const theirs = await signIn(member.key);
    const list = await call("GET", "/api/v1/auth/sessions", { headers: asConsole(a) });
    expect(list.status, list.text).toBe(200);
    expect(list.json.sessions).toHaveLength(2);
    expect(list.json.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(JSON.stringify(list.json)).not.toContain(a);
    const aUid = (await sessionRow(a))!.id;
    expect(list.json.sessions.find((s: { current: boolean }) => s.current).uid).toBe(aUid);

    const theirUid = (await sessionRow(theirs))!.id;
    expectProblem(
      await call("DELETE", `/api/v1/auth/sessions/${theirUid}`, { headers: asConsole(a) }),
      404,
      "resource_not_found",
    );
    expect((await call("GET", "/api/v1/me", { headers: asConsole(theirs) })).status).toBe(200);

    const bUid = (await sessionRow(b))!.id;
    expect(
      (await call("DELETE", `/api/v1/auth/sessions/${bUid}`, { headers: asConsole(a) })).status,
    ).toBe(204);
    expectProblem(
      await call("GET", "/api/v1/me", { headers: asConsole(b) }),
      401,
      "authentication_required",
    );
    // with a key, the same list
    const byKey = await call("GET", "/api/v1/auth/sessions", { key: team.key });
    expect(
      byKey.json.sessions.map((s: { uid: string; current: boolean }) => [s.uid, s.current]),
    ).toEqual([[aUid, false]]);
  });

  it("sign-out ends the session and clears the cookie; signed out, it is still 204", async () => {
    const team = await newTeam("sign-out");
    const session = await signIn(team.key);
    const out = await call("POST", "/auth/sign-out", { headers: asConsole(session) });
    expect(out.status).toBe(204);
    expect(sessionSet(out)).toMatchObject({ token: "" });
    expect(sessionSet(out).raw).toMatch(/Max-Age=0/);
    expect(await sessionRow(session)).toBeNull();
    const me = await call("GET", "/api/v1/me", { headers: asConsole(session) });
    expectProblem(me, 401, "authentication_required");
    expect(me.json.detail).toMatch(/Sign in again at \/sign-in/);
    expect(sessionSet(me).raw).toMatch(/ambit_session=;.*Max-Age=0/); // a dead cookie is cleared
    expect((await call("POST", "/auth/sign-out")).status).toBe(204);
  });

  it("signing in again in the same browser ends the session it replaces", async () => {
    const team = await newTeam("sign-in-again");
    const first = await signIn(team.key);
    const res = await call("POST", "/auth/sign-in", {
      body: { api_key: team.key },
      headers: asConsole(first),
    });
    expect(res.status).toBe(204);
    expect(await sessionRow(first)).toBeNull();
  });
});

describe("a session's end", () => {
  it("30 days after sign-in at the latest", async () => {
    const team = await newTeam("absolute");
    const session = await signIn(team.key);
    const row = (await sessionRow(session))!;
    await env.DB.prepare("UPDATE web_sessions SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, row.id)
      .run();
    expectProblem(
      await call("GET", "/api/v1/me", { headers: asConsole(session) }),
      401,
      "authentication_required",
    );
  });

  it("after 7 days unused; a use moves that on (at most one write a minute)", async () => {
    const team = await newTeam("idle");
    const session = await signIn(team.key);
    const row = (await sessionRow(session))!;
    const day = 86_400_000;
    await env.DB.prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id = ?")
      .bind(Date.now() - 6 * day, row.id)
      .run();
    expect((await call("GET", "/api/v1/me", { headers: asConsole(session) })).status).toBe(200);
    expect((await sessionRow(session))!.last_seen_at).toBeGreaterThan(Date.now() - 60_000);
    await env.DB.prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id = ?")
      .bind(Date.now() - 7 * day - 1, row.id)
      .run();
    expectProblem(
      await call("GET", "/api/v1/me", { headers: asConsole(session) }),
      401,
      "authentication_required",
    );
    expect((await call("GET", "/api/v1/auth/sessions", { key: team.key })).json.sessions).toEqual(
      [],
    );
  });

  it("the cron's housekeeping deletes ended sessions and expired links, and keeps live ones", async () => {
    const team = await newTeam("prune");
    const [ended, live] = [await signIn(team.key), await signIn(team.key)];
    await env.DB.prepare("UPDATE web_sessions SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, (await sessionRow(ended))!.id)
      .run();
    const link = await mintLink(team, -1);
    expect((await runHousekeeping(env, Date.now())).webSessionsPruned).toBeGreaterThanOrEqual(2);
    expect(await sessionRow(ended)).toBeNull();
    expect(await sessionRow(live)).not.toBeNull();
    expect((await openLink(`/auth/link/${link}`)).headers.get("location")).toBe(
      "/sign-in?error=link_expired",
    );
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM sign_in_links WHERE expires_at < ?")
        .bind(Date.now())
        .first("n"),
    ).toBe(0);
  });

  it("the OpenAPI document has the sign-in routes at the root and /me, /auth/sessions under the API", async () => {
    const doc = (await call("GET", "/api/v1/openapi.json")).json;
    expect(doc.paths["/me"].get).toBeTruthy();
    expect(doc.paths["/auth/sessions"].get).toBeTruthy();
    expect(doc.paths["/auth/sessions/{uid}"].delete).toBeTruthy();
    expect(doc.paths["/auth/sign-in"].post).toBeTruthy();
    expect(doc.paths["/auth/sign-in"].servers).toEqual([{ url: ORIGIN }]);
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: "ambit_session",
    });
  });
});
