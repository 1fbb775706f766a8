// The web console's session cookie, attacked from inside a team and from other sites: a session is
// never more than the key or member it came from (read at every request, and pushed to live
// connections when it ends); cookie-authenticated writes and websocket attaches from another
// origin are refused (CSRF, cross-site websocket hijacking); sign-in is rate limited per address;
// the link and session tokens are echoed nowhere; secret-bearing answers are not replayed.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { idempotency } from "../../src/middleware/idempotency.ts";
import type { AppEnv } from "../../src/middleware/types.ts";
import { call, callWithEnv, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, RUNS } from "../helpers/runs.ts";
import { attach, attachRequest } from "../helpers/sockets.ts";
import {
  asConsole,
  mintLink,
  openLink,
  ORIGIN,
  sessionRow,
  signIn,
} from "../helpers/web-sessions.ts";

const me = (token: string) => call("GET", "/api/v1/me", { headers: asConsole(token) });

async function keyUid(ownerKey: string, userId: string) {
  const keys = await call("GET", "/api/v1/api-keys", { key: ownerKey });
  return keys.json.api_keys.find(
    (k: { principal: { uid: string }; revoked_at: string | null }) =>
      k.principal.uid === userId && !k.revoked_at,
  ).uid as string;
}

describe("a session is never more than what it came from", () => {
  it("a lower role takes effect on the next request", async () => {
    const team = await newTeam("ws-role");
    const admin = await memberKey(team.key, "admin");
    const session = await signIn(admin.key);
    expect((await me(session)).json.role).toBe("admin");
    expect(
      (
        await call("PATCH", `/api/v1/team/members/${admin.userId}`, {
          key: team.key,
          body: { role: "viewer" },
        })
      ).status,
    ).toBe(200);
    expect((await me(session)).json.role).toBe("viewer");
    expectProblem(
      await call("POST", RUNS, {
        headers: asConsole(session),
        body: { prompt: "a viewer cannot" },
      }),
      403,
      "not_authorized",
    );
  });

  it("a removed member's sessions end at once, and stay ended when they are added back", async () => {
    const team = await newTeam("ws-removed");
    const member = await memberKey(team.key, "member");
    const byKey = await signIn(member.key);
    const byLink = (
      await openLink(`/auth/link/${await mintLink({ teamId: team.teamId, userId: member.userId })}`)
    ).headers.get("set-cookie")!;
    const linkSession = /ambit_session=([^;]+)/.exec(byLink)![1];
    expect((await me(linkSession)).status).toBe(200);
    expect(
      (await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: team.key })).status,
    ).toBe(204);
    expectProblem(await me(byKey), 401, "authentication_required");
    expectProblem(await me(linkSession), 401, "authentication_required");
    expect(
      (
        await call("POST", "/api/v1/team/members", {
          key: team.key,
          body: { email: member.email, role: "member" },
        })
      ).status,
    ).toBe(201);
    expectProblem(await me(linkSession), 401, "authentication_required");
  });

  it("revoking the key it came from ends it; so does the key expiring", async () => {
    const team = await newTeam("ws-key");
    const member = await memberKey(team.key, "member");
    const session = await signIn(member.key);
    const other = await signIn(team.key); // the owner's: untouched
    await call("DELETE", `/api/v1/api-keys/${await keyUid(team.key, member.userId)}`, {
      key: team.key,
    });
    expectProblem(await me(session), 401, "authentication_required");
    expect(await sessionRow(session)).toBeNull();
    expect((await me(other)).status).toBe(200);

    const expiring = await call("POST", "/api/v1/api-keys", {
      key: team.key,
      body: { name: "short", expires_in_days: 1 },
    });
    const short = await signIn(expiring.json.key);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, expiring.json.uid)
      .run();
    expectProblem(await me(short), 401, "authentication_required");
  });

  it("a key minted through a session expires no later than the key the session came from", async () => {
    const team = await newTeam("ws-mint");
    const expiring = await call("POST", "/api/v1/api-keys", {
      key: team.key,
      body: { name: "short", expires_in_days: 2 },
    });
    const session = await signIn(expiring.json.key);
    const minted = await call("POST", "/api/v1/api-keys", {
      headers: asConsole(session),
      body: { name: "longer?", expires_in_days: 30 },
    });
    expect(minted.status, minted.text).toBe(201);
    expect(Date.parse(minted.json.expires_at)).toBeLessThanOrEqual(
      Date.parse(expiring.json.expires_at),
    );
  });

  it("the session token is not an API key, and a team's session does not open another team", async () => {
    const team = await newTeam("ws-not-key");
    const other = await newTeam("ws-other");
    const session = await signIn(team.key);
    expectProblem(
      await call("GET", "/api/v1/me", { key: session }),
      401,
      "authentication_required",
    );
    const runId = await createRun(other.key);
    expectProblem(
      await call("GET", `${RUNS}/${runId}`, { headers: asConsole(session) }),
      404,
      "resource_not_found",
    );
  });
});

describe("cross-site request forgery", () => {
  it("a cookie-authenticated write needs this origin's Origin header; reads do not; a Bearer key is unaffected", async () => {
    const team = await newTeam("ws-csrf");
    const session = await signIn(team.key);
    const write = (headers: Record<string, string>) =>
      call("POST", RUNS, { headers, body: { prompt: "forged?" } });
    const none = expectProblem(await write(asConsole(session, null)), 403, "csrf_rejected");
    expect(none.detail).toMatch(/no Origin header.*Authorization: Bearer/);
    const foreign = expectProblem(
      await write(asConsole(session, "https://evil.example")),
      403,
      "csrf_rejected",
    );
    expect(foreign.detail).toMatch(
      /another origin's page \(https:\/\/evil\.example\).*CONSOLE_ORIGINS/,
    );
    expectProblem(await write(asConsole(session, "null")), 403, "csrf_rejected");
    for (const method of ["PATCH", "PUT", "DELETE"]) {
      expectProblem(
        await call(method, "/api/v1/team", {
          headers: asConsole(session, "https://evil.example"),
          body: { name: "x" },
        }),
        403,
        "csrf_rejected",
      );
    }
    expect(
      (await call("GET", "/api/v1/team", { headers: asConsole(session, "https://evil.example") }))
        .status,
    ).toBe(200);
    const ok = await write(asConsole(session));
    expect(ok.status, ok.text).toBe(200);
    const bearer = await call("POST", RUNS, {
      key: team.key,
      headers: { origin: "https://evil.example" },
      body: { prompt: "a script" },
    });
    expect(bearer.status, bearer.text).toBe(200);
  });

  it("an origin the operator lists (CONSOLE_ORIGINS) may write", async () => {
    const team = await newTeam("ws-origins");
    const session = await signIn(team.key);
    const res = await callWithEnv(
      { CONSOLE_ORIGINS: "https://console.example.com" },
      "PATCH",
      "/api/v1/team",
      {
        headers: asConsole(session, "https://console.example.com"),
        body: { name: "renamed" },
      },
    );
    expect(res.status, res.text).toBe(200);
  });

  it("sign-in and sign-out refuse another origin's page (login CSRF)", async () => {
    const team = await newTeam("ws-login-csrf");
    const res = await call("POST", "/auth/sign-in", {
      body: { api_key: team.key },
      headers: { origin: "https://evil.example" },
    });
    expectProblem(res, 403, "csrf_rejected");
    expect(res.headers.get("set-cookie")).toBeNull();
    const session = await signIn(team.key);
    expectProblem(
      await call("POST", "/auth/sign-out", { headers: asConsole(session, "https://evil.example") }),
      403,
      "csrf_rejected",
    );
    expect((await me(session)).status).toBe(200);
  });
});

describe("the run session websocket with a cookie (cross-site websocket hijacking)", () => {
  async function run() {
    const team = await newTeam("ws-attach");
    const runId = await createRun(team.key, { prompt: "watched from the console" });
    await advance({ runId, teamId: team.teamId }, "dispatch", "claim", "start");
    return { team, runId, session: await signIn(team.key) };
  }

  it("attaches only from this origin", async () => {
    const { runId, session } = await run();
    const foreign = await attachRequest(runId, {
      headers: asConsole(session, "https://evil.example"),
    });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error_code: string }).error_code).toBe("csrf_rejected");
    const none = await attachRequest(runId, { headers: asConsole(session, null) });
    expect(none.status).toBe(403);
    const s = await attach(runId, { headers: asConsole(session) });
    expect(s.frames[0]).toMatchObject({ type: "ready", access: "EDITOR" });
    s.close();
  });

  it("signing out closes what the session attached (4003)", async () => {
    const { runId, session } = await run();
    const s = await attach(runId, { headers: asConsole(session) });
    expect((await call("POST", "/auth/sign-out", { headers: asConsole(session) })).status).toBe(
      204,
    );
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });
  });

  it("revoking the session from another closes what it attached (4003)", async () => {
    const { team, runId, session } = await run();
    const s = await attach(runId, { headers: asConsole(session) });
    const uid = (await sessionRow(session))!.id;
    expect((await call("DELETE", `/api/v1/auth/sessions/${uid}`, { key: team.key })).status).toBe(
      204,
    );
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });
  });

  it("revoking the key the session came from closes what it attached (4003)", async () => {
    const { team, runId } = await run();
    const member = await memberKey(team.key, "member");
    const session = await signIn(member.key);
    const s = await attach(runId, { headers: asConsole(session) });
    await call("DELETE", `/api/v1/api-keys/${await keyUid(team.key, member.userId)}`, {
      key: team.key,
    });
    expect(await s.untilClosed()).toMatchObject({ code: 4003 });
  });

  it("a steering frame through a session ended behind the run's back is refused (the per-frame check)", async () => {
    const { runId, session } = await run();
    const s = await attach(runId, { headers: asConsole(session) });
    await env.DB.prepare(
      "DELETE FROM web_sessions WHERE token_hash = (SELECT token_hash FROM web_sessions WHERE id = ?)",
    )
      .bind((await sessionRow(session))!.id)
      .run();
    s.send({ type: "followup", ref: "f", message: "still here?" });
    const answer = await s.until("the answer", () =>
      s.frames.find((f) => (f.type === "ack" || f.type === "error") && f.ref === "f"),
    );
    expect(answer).toMatchObject({ type: "error", code: "not_authorized" });
  });

  it("an attach token minted through a session dies with it", async () => {
    const { runId, session } = await run();
    const minted = await call("POST", `${RUNS}/${runId}/session-token`, {
      headers: asConsole(session),
    });
    expect(minted.status, minted.text).toBe(200);
    (await attach(runId, { token: minted.json.token })).close();
    await call("POST", "/auth/sign-out", { headers: asConsole(session) });
    expect((await attachRequest(runId, { token: minted.json.token })).status).toBe(401);
  });

  it("an ended session's cookie is 401 on attach, and is cleared", async () => {
    const { runId, session } = await run();
    await call("POST", "/auth/sign-out", { headers: asConsole(session) });
    const res = await attachRequest(runId, { headers: asConsole(session) });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toMatch(/ambit_session=;.*Max-Age=0/);
  });
});

describe("secrets in answers", () => {
  it("an API key minted through a session with an Idempotency-Key is not replayed", async () => {
    const team = await newTeam("ws-idem");
    const session = await signIn(team.key);
    const mint = () =>
      call("POST", "/api/v1/api-keys", {
        headers: { ...asConsole(session), "idempotency-key": "same" },
        body: { name: "k" },
      });
    const first = await mint();
    expect(first.status).toBe(201);
    const again = await mint();
    expectProblem(again, 409, "conflict");
    expect(again.text).not.toContain(first.json.key);
  });

  it("the idempotency middleware never stores an answer that sets a cookie: a retry runs again", async () => {
    let runs = 0;
    const keyId = `k-${crypto.randomUUID()}`;
    const app = new Hono<AppEnv>()
      .use(async (c, next) => {
        c.set("requestId", "r");
        c.set("auth", {
          teamId: "t-cookie",
          actor: { type: "user", id: "u", role: "owner", keyId, personal: true },
        });
        await next();
      })
      .use(idempotency)
      .post("/x", (c) => c.body(null, 204, { "set-cookie": `ambit_session=secret-${++runs}` }));
    const post = () =>
      app.fetch(
        new Request("http://ambit.test/x", { method: "POST", headers: { "idempotency-key": "k" } }),
        env,
        createExecutionContext(),
      );
    const [a, b] = [await post(), await post()];
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect([a.headers.get("set-cookie"), b.headers.get("set-cookie")]).toEqual([
      "ambit_session=secret-1",
      "ambit_session=secret-2",
    ]);
  });

  it("the link's token is echoed in no answer, and the session token only in Set-Cookie", async () => {
    const team = await newTeam("ws-echo");
    const token = await mintLink(team);
    for (const res of [
      await call("POST", `/auth/link/${token}`),
      await call("GET", `/auth/link/${token}x${"y".repeat(300)}`, { redirect: "manual" }),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.text).not.toContain(token);
    }
    const signed = await openLink(`/auth/link/${token}`);
    expect(signed.status).toBe(303);
    expect(signed.text).toBe("");
    expect(signed.headers.get("location")).not.toContain(token);
    const session = /ambit_session=([^;]+)/.exec(signed.headers.get("set-cookie")!)![1];
    const list = await call("GET", "/api/v1/auth/sessions", { headers: asConsole(session) });
    expect(list.text).not.toContain(session);
    const row = (await sessionRow(session))!;
    expect(JSON.stringify(row)).not.toContain(session); // stored hashed
  });
});

describe("sign-in is rate limited per client address", () => {
  const limited = (ip: string, path: string, init: { method: string; body?: unknown }) =>
    callWithEnv({ SIGN_INS_PER_IP_PER_MINUTE: "3" }, init.method, path, {
      headers: { "cf-connecting-ip": ip, origin: ORIGIN },
      body: init.body,
      redirect: "manual",
    });

  it("API key attempts past the limit are 429 with Retry-After, good key or bad", async () => {
    const team = await newTeam("ws-rate");
    const ip = `10.9.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
    for (let i = 0; i < 3; i++)
      expect(
        (await limited(ip, "/auth/sign-in", { method: "POST", body: { api_key: "ambit_guess" } }))
          .status,
      ).toBe(401);
    const refused = await limited(ip, "/auth/sign-in", {
      method: "POST",
      body: { api_key: team.key },
    });
    expect(expectProblem(refused, 429, "rate_limited").detail).toMatch(
      /SIGN_INS_PER_IP_PER_MINUTE/,
    );
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("set-cookie")).toBeNull();
    // another address is not held back
    expect(
      (
        await limited(`${ip}1`.slice(0, 15), "/auth/sign-in", {
          method: "POST",
          body: { api_key: team.key },
        })
      ).status,
    ).toBe(204);
  });

  it("sign-in links count too", async () => {
    const team = await newTeam("ws-rate-link");
    const ip = `10.8.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
    for (let i = 0; i < 3; i++)
      expect((await limited(ip, `/auth/link/guess-${i}`, { method: "GET" })).status).toBe(303);
    const token = await mintLink(team);
    expectProblem(await limited(ip, `/auth/link/${token}`, { method: "GET" }), 429, "rate_limited");
  });
});
