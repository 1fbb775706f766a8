// Single sign-on's settings and what "SSO required" refuses, and `ambit login --web`'s device
// codes (pending, slow_down, approved once, denied, expired), in workerd with the real D1. The
// sign-in itself, against a real OpenID provider, is test/e2e/sso.test.ts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { asConsole, mintLink, openLink, signIn } from "../helpers/web-sessions.ts";

/** A team's SSO row as `PUT /team/sso` writes it, without the provider's discovery (no network). */
async function ssoRow(teamId: string, required: boolean) {
  await env.DB.prepare(
    `INSERT INTO team_sso (team_id, provider, issuer, client_id, client_secret_sealed,
       allowed_domains, default_role, required, updated_by, created_at, updated_at)
     VALUES (?, 'oidc', 'https://idp.invalid', 'c', 'x', '["example.com"]', 'member', ?, 'u', 0, 0)`,
  )
    .bind(teamId, required ? 1 : 0)
    .run();
}

describe("single sign-on settings", () => {
  it("are for admins; none set is 404; a plain-http issuer and a missing first secret are refused", async () => {
    const team = await newTeam("sso");
    const member = await memberKey(team.key, "member");
    expectProblem(
      await call("GET", "/api/v1/team/sso", { key: member.key }),
      403,
      "not_authorized",
    );
    const body = {
      issuer: "https://idp.invalid",
      client_id: "c",
      allowed_domains: ["example.com"],
    };
    const put = (key: string, b: object) => call("PUT", "/api/v1/team/sso", { key, body: b });
    expectProblem(await put(member.key, body), 403, "not_authorized");
    expectProblem(
      await call("GET", "/api/v1/team/sso", { key: team.key }),
      404,
      "resource_not_found",
    );
    const http = await put(team.key, { ...body, issuer: "http://idp.invalid", client_secret: "s" });
    expect(expectProblem(http, 400, "invalid_request").errors[0].path).toBe("issuer");
    const noSecret = await put(team.key, body);
    expect(expectProblem(noSecret, 400, "invalid_request").errors[0].path).toBe("client_secret");
    const owner = await put(team.key, { ...body, client_secret: "s", default_role: "owner" });
    expectProblem(owner, 400, "invalid_request");
  });

  it("a team without SSO sends the browser back to the sign-in page", async () => {
    const team = await newTeam("sso-none");
    const res = await openLink(`/api/v1/auth/sso/start?team=${team.teamId}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(
      `/sign-in?error=sso&reason=not_configured&team=${team.teamId}`,
    );
  });

  it("SSO required: a sign-in link and key sign-in are refused naming SSO; API keys still work", async () => {
    const team = await newTeam("sso-required");
    const link = await mintLink(team);
    await ssoRow(team.teamId, true);
    const opened = await openLink(`/auth/link/${link}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.get("location")).toBe(`/sign-in?error=sso_required&team=${team.teamId}`);
    expect(opened.headers.get("set-cookie")).toBeNull();
    const byKey = await call("POST", "/auth/sign-in", { body: { api_key: team.key } });
    const problem = expectProblem(byKey, 403, "not_authorized");
    expect(problem.detail).toMatch(/requires single sign-on/);
    expect(problem).toMatchObject({ sso_required: true, team_uid: team.teamId });
    expect((await call("GET", "/api/v1/team", { key: team.key })).status).toBe(200);
  });

  it("not required: key sign-in still works beside SSO", async () => {
    const team = await newTeam("sso-optional");
    await ssoRow(team.teamId, false);
    await signIn(team.key);
  });
});

const code = (clientName = "laptop-1") =>
  call("POST", "/api/v1/auth/device/code", { body: { client_name: clientName } });
const poll = (deviceCode: string) =>
  call("POST", "/api/v1/auth/device/token", { body: { device_code: deviceCode } });

describe("ambit login --web: device codes", () => {
  it("pending, then slow_down when polled too fast, then the approver's key, handed over once", async () => {
    const team = await newTeam("device");
    const pair = (await code("ada-laptop")).json;
    expect(pair).toMatchObject({ expires_in: 600, interval: 5 });
    expect(pair.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(pair.verification_uri_complete).toBe(
      `http://ambit.test/login/device?code=${pair.user_code}`,
    );
    expect((await poll(pair.device_code)).json).toEqual({
      status: "authorization_pending",
      interval: 5,
    });
    expect((await poll(pair.device_code)).json).toEqual({ status: "slow_down", interval: 10 });

    const session = await signIn(team.key);
    const shown = await call("GET", `/api/v1/auth/device/${pair.user_code.toLowerCase()}`, {
      headers: asConsole(session),
    });
    expect(shown.json).toMatchObject({ user_code: pair.user_code, client_name: "ada-laptop" });
    const approved = await call("POST", `/api/v1/auth/device/${pair.user_code}`, {
      headers: asConsole(session),
      body: { approve: true },
    });
    expect(approved.status, approved.text).toBe(200);
    const got = (await poll(pair.device_code)).json;
    expect(got).toMatchObject({ status: "approved", key_name: "ada-laptop (ambit login --web)" });
    const me = await call("GET", "/api/v1/me", { key: got.api_key });
    expect(me.json).toMatchObject({ user: { uid: team.userId }, role: "owner", via: "api_key" });
    expect((await poll(pair.device_code)).json).toEqual({ status: "expired_token" });
    const again = await call("POST", `/api/v1/auth/device/${pair.user_code}`, {
      headers: asConsole(session),
      body: { approve: true },
    });
    expectProblem(again, 404, "resource_not_found");
    // revocable like any key
    const keys = await call("GET", "/api/v1/api-keys", { key: team.key });
    expect(keys.json.api_keys.map((k: { uid: string }) => k.uid)).toContain(got.key_uid);
  });

  it("a denied code answers access_denied; an expired or unknown one expired_token", async () => {
    const team = await newTeam("device-deny");
    const pair = (await code()).json;
    const denied = await call("POST", `/api/v1/auth/device/${pair.user_code}`, {
      key: team.key,
      body: { approve: false },
    });
    expect(denied.status).toBe(200);
    expect((await poll(pair.device_code)).json).toEqual({ status: "access_denied" });

    const late = (await code()).json;
    await env.DB.prepare("UPDATE device_logins SET expires_at = 0 WHERE user_code = ?")
      .bind(late.user_code)
      .run();
    expect((await poll(late.device_code)).json).toEqual({ status: "expired_token" });
    const approveLate = await call("POST", `/api/v1/auth/device/${late.user_code}`, {
      key: team.key,
      body: { approve: true },
    });
    expectProblem(approveLate, 404, "resource_not_found");
    expect((await poll("not-a-code")).json).toEqual({ status: "expired_token" });
  });

  it("approving needs a credential; the key never exceeds the approver's role", async () => {
    const team = await newTeam("device-role");
    const viewer = await memberKey(team.key, "viewer");
    const pair = (await code()).json;
    const anonymous = await call("POST", `/api/v1/auth/device/${pair.user_code}`, {
      body: { approve: true },
    });
    expectProblem(anonymous, 401, "authentication_required");
    await call("POST", `/api/v1/auth/device/${pair.user_code}`, {
      key: viewer.key,
      body: { approve: true },
    });
    const got = (await poll(pair.device_code)).json;
    const me = await call("GET", "/api/v1/me", { key: got.api_key });
    expect(me.json).toMatchObject({ user: { uid: viewer.userId }, role: "viewer" });
  });
});
