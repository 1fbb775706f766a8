// The Linear agent app's OAuth install (src/integrations/linear/oauth.ts on the generic install,
// src/services/integrations/install.ts) against real D1, with Linear's token endpoint and GraphQL
// API faked in process (test/fakes/linear-graphql.ts): the link is an admin's, asks for the agent
// scopes as `actor=app`, works once; the token is stored sealed and never answered; the app user's
// id lands in the settings.
import { createHmac } from "node:crypto";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getConfig } from "../../src/env.ts";
import { openCredentials, sealCredentials } from "../../src/services/integrations/credentials.ts";
import { completeInstall } from "../../src/services/integrations/install.ts";
import { createFakeLinear } from "../fakes/linear-graphql.ts";
import { call, callWithEnv, memberKey, newTeam } from "../helpers/api.ts";
import { processed } from "../helpers/integrations.ts";

vi.setConfig({ testTimeout: 30_000 });
afterEach(() => vi.unstubAllGlobals());

const PUBLIC_URL = "https://ambit.example";
const vars = {
  PUBLIC_URL,
  LINEAR_OAUTH_URL: "https://linear-web.fake",
  LINEAR_API_URL: "https://linear-api.fake",
};
const OAUTH = { clientId: "lin-client-id", clientSecret: "lin-client-secret", code: "code-1" };
const TOKEN = "lin_oauth_installed_token_0123456789";

async function pendingIntegration(key: string) {
  const res = await call("POST", "/api/v1/integrations", {
    key,
    body: {
      type: "linear",
      name: "acme-linear",
      credentials: {
        client_id: OAUTH.clientId,
        client_secret: OAUTH.clientSecret,
        webhook_secret: "linear-webhook-secret-for-tests",
      },
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.uid as string;
}

describe("Linear OAuth install (actor=app)", () => {
  it("an admin's single-use link; the token sealed, never answered; app_user_id recorded", async () => {
    const owner = await newTeam("linear-install");
    const uid = await pendingIntegration(owner.key);

    const member = await memberKey(owner.key, "member");
    const refused = await callWithEnv(vars, "POST", `/api/v1/integrations/${uid}/install-link`, {
      key: member.key,
    });
    expect(refused.status).toBe(403);

    const link = await callWithEnv(vars, "POST", `/api/v1/integrations/${uid}/install-link`, {
      key: owner.key,
    });
    expect(link.status, link.text).toBe(201);
    const url = new URL(link.json.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://linear-web.fake/oauth/authorize");
    expect(url.searchParams.get("client_id")).toBe(OAUTH.clientId);
    expect(url.searchParams.get("scope")).toBe("read,write,app:assignable,app:mentionable");
    expect(url.searchParams.get("actor")).toBe("app");
    expect(url.searchParams.get("response_type")).toBe("code");
    const redirectUri = `${PUBLIC_URL}/api/v1/integrations/install/callback`;
    expect(url.searchParams.get("redirect_uri")).toBe(redirectUri);
    const state = url.searchParams.get("state")!;

    const fake = createFakeLinear({ accessToken: TOKEN, viewerId: "u-app-acme", oauth: OAUTH });
    const patched = { ...env, ...vars } as Env;
    // a wrong code fails and leaves the link usable
    await expect(
      completeInstall(patched, { state, code: "wrong" }, { fetch: fake.fetch }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    await expect(
      completeInstall(patched, { state, code: OAUTH.code }, { fetch: fake.fetch }),
    ).resolves.toEqual({ integrationId: uid });
    expect(fake.tokenRequests.at(-1)).toMatchObject({
      grant_type: "authorization_code",
      code: OAUTH.code,
      redirect_uri: redirectUri,
      client_id: OAUTH.clientId,
    });
    // viewer { id } asked with the new token, as a bearer
    const viewer = fake.calls.find((c) => c.operation === "viewer");
    expect(viewer?.authorization).toBe(`Bearer ${TOKEN}`);

    // single use: the same state again is refused, and nothing is exchanged
    const exchanges = fake.tokenRequests.length;
    await expect(
      completeInstall(patched, { state, code: OAUTH.code }, { fetch: fake.fetch }),
    ).rejects.toThrow(/already used/);
    expect(fake.tokenRequests.length).toBe(exchanges);

    const got = await call("GET", `/api/v1/integrations/${uid}`, { key: owner.key });
    expect(got.status).toBe(200);
    expect(got.json.credentials).toMatchObject({ access_token: true, client_id: true });
    expect(got.json.settings.app_user_id).toBe("u-app-acme");
    expect(got.text).not.toContain(TOKEN);
    const row = await env.DB.prepare("SELECT credentials_sealed FROM integrations WHERE id = ?")
      .bind(uid)
      .first<{ credentials_sealed: string }>();
    expect(row?.credentials_sealed).toBeTruthy();
    expect(row?.credentials_sealed).not.toContain(TOKEN);
    expect(atobSafe(row!.credentials_sealed)).not.toContain(TOKEN);
  });

  it("a forged or foreign state is refused before any exchange", async () => {
    const fake = createFakeLinear({ accessToken: TOKEN, oauth: OAUTH });
    const patched = { ...env, ...vars } as Env;
    await expect(
      completeInstall(patched, { state: "not-a-state", code: OAUTH.code }, { fetch: fake.fetch }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    expect(fake.tokenRequests).toHaveLength(0);
  });
});

/** The integration's stored credentials, opened (what the next report will use). */
async function storedCredentials(uid: string) {
  const row = await env.DB.prepare(
    "SELECT id, team_id AS teamId, credentials_sealed AS credentialsSealed FROM integrations WHERE id = ?",
  )
    .bind(uid)
    .first<{ id: string; teamId: string; credentialsSealed: string }>();
  return { sealed: row!.credentialsSealed, credentials: await openCredentials(env, row!) };
}

describe("Linear OAuth tokens: refreshed before they end and when refused", () => {
  it("a delivery after the token expired refreshes it, stores the new one sealed, and succeeds", async () => {
    const owner = await newTeam("linear-refresh");
    const uid = await pendingIntegration(owner.key);
    const link = await callWithEnv(vars, "POST", `/api/v1/integrations/${uid}/install-link`, {
      key: owner.key,
    });
    const state = new URL(link.json.url).searchParams.get("state")!;
    // Linear's tokens live 24 h; this fake's, 10 minutes (past the 5-minute refresh margin)
    const fake = createFakeLinear({ accessToken: TOKEN, oauth: OAUTH, tokenTtlS: 600 });
    const before = Date.now();
    await completeInstall(
      { ...env, ...vars } as Env,
      { state, code: OAUTH.code },
      {
        fetch: fake.fetch,
      },
    );
    const installed = await storedCredentials(uid);
    expect(installed.credentials).toMatchObject({
      access_token: TOKEN,
      refresh_token: expect.stringMatching(/^lin_refresh_1_/),
    });
    expect(installed.credentials.expires_at).toBeGreaterThanOrEqual(before + 600_000);
    expect(installed.sealed).not.toContain(TOKEN);

    // the worker's queue consumer reaches Linear through the global fetch: the fake answers
    const origin = new URL(getConfig(env).LINEAR_API_URL).origin;
    const real = globalThis.fetch;
    vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) =>
      new Request(input, init).url.startsWith(origin) ? fake.fetch(input, init) : real(input, init),
    );
    fake.addIssue({
      id: "i-1",
      identifier: "ENG-1",
      title: "t",
      url: "https://linear.app/x/ENG-1",
      team: { id: "t-eng", key: "ENG" },
    });
    fake.expireTokens();
    const row = await deliverCreated(owner, uid, "s-refresh");
    expect(row.outcome, row.reason).toBe("run_created");

    // refused once with the expired token, refreshed, posted with the new one
    const refreshes = fake.tokenRequests.filter((r) => r.grant_type === "refresh_token");
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]).toMatchObject({
      refresh_token: installed.credentials.refresh_token,
      client_id: OAUTH.clientId,
      client_secret: OAUTH.clientSecret,
    });
    const thought = fake.activitiesOf("s-refresh")[0];
    expect(thought?.content.type).toBe("thought");
    const posts = fake.calls.filter((c) => c.operation === "agentActivityCreate");
    expect(posts.map((c) => c.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}-2`]);
    const now = await storedCredentials(uid);
    expect(now.credentials).toMatchObject({
      access_token: `${TOKEN}-2`,
      refresh_token: expect.stringMatching(/^lin_refresh_2_/),
      client_id: OAUTH.clientId,
      webhook_secret: "linear-webhook-secret-for-tests",
    });
    expect(now.credentials.expires_at).toBeGreaterThan(Date.now());
    expect(now.sealed).not.toContain(`${TOKEN}-2`);
    const got = await call("GET", `/api/v1/integrations/${uid}`, { key: owner.key });
    expect(got.json.credentials).toMatchObject({ access_token: true, expires_at: true });
    expect(got.text).not.toContain(TOKEN);

    // a token within 5 minutes of its end is refreshed before it is used: no refusal first
    const near = { ...now.credentials, expires_at: Date.now() + 60_000 };
    const sealed = await sealCredentials(env, { teamId: owner.teamId, integrationId: uid }, near);
    await env.DB.prepare("UPDATE integrations SET credentials_sealed = ? WHERE id = ?")
      .bind(sealed, uid)
      .run();
    fake.calls.length = 0;
    const again = await deliverCreated(owner, uid, "s-refresh-2");
    expect(again.outcome, again.reason).toBe("run_created");
    expect(fake.tokenRequests.filter((r) => r.grant_type === "refresh_token")).toHaveLength(2);
    expect(
      fake.calls.filter((c) => c.operation === "agentActivityCreate").map((c) => c.authorization),
    ).toEqual([`Bearer ${TOKEN}-3`]);
    expect((await storedCredentials(uid)).credentials.access_token).toBe(`${TOKEN}-3`);
  });
});

/** A signed `AgentSessionEvent` `created` by the team's owner, through the inbound URL; processed. */
async function deliverCreated(owner: { key: string; email: string }, uid: string, session: string) {
  const raw = JSON.stringify({
    type: "AgentSessionEvent",
    action: "created",
    organizationId: "o-1",
    appUserId: "u-app",
    webhookTimestamp: Date.now(),
    agentSession: {
      id: session,
      issueId: "i-1",
      issue: { id: "i-1", identifier: "ENG-1", title: "t", url: "https://linear.app/x/ENG-1" },
      creatorId: "lu-1",
      creator: { id: "lu-1", name: "Owner", email: owner.email },
    },
    promptContext: "Fix ENG-1",
  });
  const sent = await call("POST", `/api/v1/integrations/${uid}/events`, {
    raw,
    headers: {
      "content-type": "application/json",
      "linear-delivery": crypto.randomUUID(),
      "linear-event": "AgentSessionEvent",
      "linear-signature": createHmac("sha256", "linear-webhook-secret-for-tests")
        .update(raw)
        .digest("hex"),
    },
  });
  expect(sent.status, sent.text).toBe(202);
  return processed(owner.key, uid, sent.json.delivery_id);
}

const atobSafe = (s: string) => {
  try {
    return atob(s.replace(/[^A-Za-z0-9+/=]/g, ""));
  } catch {
    return "";
  }
};
