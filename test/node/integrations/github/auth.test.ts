import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppJwt } from "../../../../src/integrations/github/app-jwt.ts";
import { clientFor } from "../../../../src/integrations/github/auth.ts";
import type { GitHubCredentials } from "../../../../src/integrations/github/credentials.ts";
import { githubKind } from "../../../../src/integrations/github/index.ts";
import type { GitHubSettings } from "../../../../src/integrations/github/settings.ts";
import type { IntegrationRecord } from "../../../../src/integrations/kind.ts";
import { REFRESH_BEFORE_MS } from "../../../../src/integrations/github/installation-token.ts";
import { githubClient } from "../../../../src/integrations/github/rest.ts";
import { type FakeGitHubRest, startFakeGitHubRest } from "../../../fakes/github-rest.ts";
import { APP_ID, appKeys, INSTALLATION, integration, PAT } from "./fixtures.ts";

const keys = appKeys();
let gh: FakeGitHubRest;
beforeAll(async () => {
  gh = await startFakeGitHubRest({ appId: APP_ID, appPublicKeyPem: keys.publicKey, pat: PAT });
});
afterAll(() => gh.close());

const mints = () => gh.requests().filter((r) => r.endsWith("/access_tokens"));

describe("App JWT", () => {
  it("is RS256 with iss = app id, iat 60 s back and exp within 10 minutes", async () => {
    const now = Date.UTC(2026, 11, 1, 12);
    const jwt = await createAppJwt(APP_ID, keys.privateKey, now);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: "RS256", typ: "JWT" });
    const claims = decodeJwt(jwt);
    expect(claims.iss).toBe(APP_ID);
    expect(claims.iat).toBe(now / 1000 - 60);
    expect((claims.exp as number) - now / 1000).toBeLessThanOrEqual(600);
    expect(claims.exp as number).toBeGreaterThan(now / 1000);
  });

  it("mints an installation token the fake accepts after verifying the JWT with the public key", async () => {
    const i = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    const client = await clientFor(i, INSTALLATION);
    gh.addComment("acme/api", 1, { body: "hi" });
    const list = await client.json<unknown[]>("GET", "/repos/acme/api/issues/1/comments");
    expect(list).toHaveLength(1);
    const mint = gh.calls.find(
      (c) => c.path === `/app/installations/${INSTALLATION}/access_tokens`,
    );
    expect(mint?.method).toBe("POST");
    expect(String(mint?.headers.authorization)).toMatch(/^Bearer ey/);
  });

  it("is refused by the fake when signed with another key", async () => {
    const other = appKeys();
    const i = integration({ apiBaseUrl: gh.url, privateKey: other.privateKey });
    await expect(clientFor(i, INSTALLATION)).rejects.toMatchObject({
      code: "external_authentication_required",
      message: expect.stringContaining("401"),
    });
  });
});

describe("installation token cache", () => {
  it("reuses a token until shortly before it expires, then mints a new one", async () => {
    const i = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    const before = mints().length;
    const t0 = Date.now();
    await clientFor(i, INSTALLATION, t0);
    await clientFor(i, INSTALLATION, t0 + 10 * 60_000);
    expect(mints().length - before).toBe(1);
    // the token expires an hour after it was minted: inside the refresh margin a new one is minted
    await clientFor(i, INSTALLATION, t0 + 3_600_000 - REFRESH_BEFORE_MS + 1_000);
    expect(mints().length - before).toBe(2);
  });

  it("keeps tokens apart by installation and by integration", async () => {
    const a = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    const b = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    const before = mints().length;
    await clientFor(a, 1);
    await clientFor(a, 2);
    await clientFor(b, 1);
    await clientFor(a, 1);
    expect(mints().length - before).toBe(3);
  });

  it("takes the installation from the credentials over the delivery's", async () => {
    const i = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    (i.credentials as { installation_id?: number }).installation_id = 31337;
    await clientFor(i, INSTALLATION);
    expect(gh.requests()).toContain("POST /app/installations/31337/access_tokens");
  });

  it("names the fix when neither the credentials nor the delivery name an installation", async () => {
    const i = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    await expect(clientFor(i, undefined)).rejects.toMatchObject({
      code: "integration_not_configured",
    });
  });
});

describe("REST client", () => {
  it("sends GitHub's headers and the token", async () => {
    await githubClient(gh.url, PAT).json("GET", "/repos/acme/api/issues/1/comments");
    const call = gh.calls.at(-1);
    expect(call?.headers).toMatchObject({
      accept: "application/vnd.github+json",
      authorization: `Bearer ${PAT}`,
      "x-github-api-version": "2022-11-28",
      "user-agent": expect.any(String),
    });
  });

  it("fails with the status and GitHub's message", async () => {
    const err = githubClient(gh.url, PAT).json("GET", "/repos/acme/api/nothing");
    await expect(err).rejects.toMatchObject({
      code: "not_authorized",
      message: expect.stringContaining(
        "GitHub answered 404 to GET /repos/acme/api/nothing: Not Found",
      ),
    });
  });

  it("turns a rate limit into rate_limited with the wait, and sends nothing more until the reset", async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    gh.fail({
      path: /\/issues\/99\/comments$/,
      status: 403,
      body: { message: "API rate limit exceeded" },
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      times: 1,
    });
    const limited = githubClient(gh.url, "ghp_limited");
    await expect(limited.json("GET", "/repos/acme/api/issues/99/comments")).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringContaining("API rate limit exceeded"),
      details: { retryable: true, retry_after_seconds: expect.any(Number) },
    });
    const sent = gh.calls.length;
    await expect(limited.json("GET", "/repos/acme/api/issues/1/comments")).rejects.toMatchObject({
      code: "rate_limited",
      details: { retry_after_seconds: expect.any(Number) },
    });
    expect(gh.calls.length).toBe(sent);
    // other credentials are not held back
    await githubClient(gh.url, PAT).json("GET", "/repos/acme/api/issues/1/comments");
    expect(gh.calls.length).toBe(sent + 1);

    gh.fail({
      path: /\/issues\/98\/comments$/,
      status: 429,
      headers: { "retry-after": "7" },
      times: 1,
    });
    await expect(
      githubClient(gh.url, PAT).json("GET", "/repos/acme/api/issues/98/comments"),
    ).rejects.toMatchObject({ details: { retry_after_seconds: 7 } });
  });
});

describe("the run's GitHub token (runSecrets)", () => {
  const thread = (installation?: number) => ({
    key: "github:acme/api#42",
    state: {
      repository: "acme/api",
      issue_number: 42,
      since: new Date().toISOString(),
      ...(installation ? { installation_id: installation } : {}),
    },
  });
  const runSecrets = (i: ReturnType<typeof integration>, installation?: number) =>
    githubKind.runSecrets!({
      env: {} as Env,
      integration: i as IntegrationRecord<GitHubCredentials, GitHubSettings>,
      thread: thread(installation),
    });

  it("is the token as given", async () => {
    const i = integration({ apiBaseUrl: gh.url });
    expect(await runSecrets(i)).toEqual([{ name: "GITHUB_TOKEN", value: PAT }]);
  });

  it("is an installation token of the App, for the installation the delivery came from", async () => {
    const i = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    const [secret] = await runSecrets(i, INSTALLATION);
    expect(secret.name).toBe("GITHUB_TOKEN");
    expect(secret.value).toMatch(new RegExp(`^ghs_fake\\d+_${INSTALLATION}$`));
  });

  it("an App without a known installation gives none (integration_not_configured)", async () => {
    const i = integration({ apiBaseUrl: gh.url, privateKey: keys.privateKey });
    await expect(runSecrets(i)).rejects.toMatchObject({ code: "integration_not_configured" });
  });
});
