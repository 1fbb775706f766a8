// The Linear agent app's OAuth install (src/integrations/linear/oauth.ts on the generic install,
// src/services/integrations/install.ts) against real D1, with Linear's token endpoint and GraphQL
// API faked in process (test/fakes/linear-graphql.ts): the link is an admin's, asks for the agent
// scopes as `actor=app`, works once; the token is stored sealed and never answered; the app user's
// id lands in the settings.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { completeInstall } from "../../src/services/integrations/install.ts";
import { createFakeLinear } from "../fakes/linear-graphql.ts";
import { call, callWithEnv, memberKey, newTeam } from "../helpers/api.ts";

vi.setConfig({ testTimeout: 30_000 });

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

const atobSafe = (s: string) => {
  try {
    return atob(s.replace(/[^A-Za-z0-9+/=]/g, ""));
  } catch {
    return "";
  }
};
