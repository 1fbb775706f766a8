// Single sign-on on a real `wrangler dev` against a real OpenID provider (oidc-provider, started
// here: test/fakes/oidc-provider.ts), the browser played by following redirects with a cookie jar
// per origin; and `ambit login --web` with the built CLI, approved by a signed-in session.
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { type FakeGithubOauth, startGithubOauth } from "../fakes/github-oauth.ts";
import { type FakeOidcProvider, startOidcProvider } from "../fakes/oidc-provider.ts";
import { type CliProcess, freshConfigHome, runCli, startCli, tearDown } from "./cli-run.ts";
import { api, type E2eServer, startE2eServer } from "./helpers.ts";

let s: E2eServer;
let idp: FakeOidcProvider;
let gh: FakeGithubOauth;
let bin: string;
const clis: CliProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  [bin, s] = await Promise.all([
    buildCli(),
    startE2eServer({
      teamName: "sso",
      vars: { SSO_ALLOW_HTTP: "true", SIGN_INS_PER_IP_PER_MINUTE: "100000" },
    }),
  ]);
  idp = await startOidcProvider(`${s.url}/api/v1/auth/sso/callback`);
  gh = await startGithubOauth();
});
afterAll(() => tearDown({ clis, servers: [idp?.close, gh?.close, s?.stop], dirs }));

/** A browser's cookies, per origin (enough here: the platform and the provider differ by port). */
class Jar {
  private cookies = new Map<string, Map<string, string>>();
  header(url: string) {
    const m = this.cookies.get(new URL(url).origin);
    return m ? [...m].map(([k, v]) => `${k}=${v}`).join("; ") : "";
  }
  take(url: string, res: Response) {
    const origin = new URL(url).origin;
    const m = this.cookies.get(origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [name, ...rest] = pair.split("=");
      const expired = attrs.some(
        (a) => /max-age=0\b/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || rest.join("=") === "") m.delete(name.trim());
      else m.set(name.trim(), rest.join("="));
    }
    this.cookies.set(origin, m);
  }
  get(url: string, name: string) {
    return this.cookies.get(new URL(url).origin)?.get(name);
  }
  set(url: string, name: string, value: string) {
    const origin = new URL(url).origin;
    const m = this.cookies.get(origin) ?? new Map<string, string>();
    m.set(name, value);
    this.cookies.set(origin, m);
  }
}

/**
 * Follows redirects like a browser until the platform sends it to a page of its own (not its
 * SSO routes), or until `stopAt` matches a URL about to be visited (returned unvisited).
 */
async function browse(jar: Jar, start: string, stopAt?: (url: string) => boolean) {
  let url = start;
  const visited: string[] = [];
  for (let i = 0; i < 20; i++) {
    if (stopAt?.(url)) return { url, visited };
    visited.push(url);
    const res = await fetch(url, { redirect: "manual", headers: { cookie: jar.header(url) } });
    jar.take(url, res);
    const location = res.headers.get("location");
    if (!location) throw new Error(`no redirect from ${url}: ${res.status} ${await res.text()}`);
    url = new URL(location, url).toString();
    if (url.startsWith(s.url) && !url.includes("/api/v1/auth/sso/")) return { url, visited };
  }
  throw new Error(`too many redirects: ${visited.join(" → ")}`);
}

const startUrl = (next = "/runs") =>
  `${s.url}/api/v1/auth/sso/start?team=${s.team.uid}&next=${encodeURIComponent(next)}`;
const isCallback = (u: string) => u.startsWith(`${s.url}/api/v1/auth/sso/callback`);

/** Signs `person` in through SSO in a fresh browser; where it lands, and the browser. */
async function signIn(person: string, next?: string) {
  idp.signInAs(person);
  const jar = new Jar();
  const { url } = await browse(jar, startUrl(next));
  return { landed: url.slice(s.url.length), jar, session: jar.get(s.url, "ambit_session") };
}

const me = (jar: Jar) =>
  api(s.url, "GET", "/api/v1/me", { headers: { cookie: jar.header(s.url) } });
const setSso = (body: Record<string, unknown>) =>
  api(s.url, "PUT", "/api/v1/team/sso", {
    key: s.key,
    body: {
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
      allowed_domains: ["alpha.example"],
      default_role: "viewer",
      ...body,
    },
  });

describe("single sign-on with a real OpenID provider", () => {
  it("an admin configures it; the secret is write-only", async () => {
    const put = await setSso({});
    expect(put.status, put.text).toBe(200);
    const got = await api(s.url, "GET", "/api/v1/team/sso", { key: s.key });
    expect(got.json).toMatchObject({
      provider: "oidc",
      issuer: idp.issuer,
      client_secret_set: true,
      allowed_domains: ["alpha.example"],
      default_role: "viewer",
      required: false,
      redirect_uri: `${s.url}/api/v1/auth/sso/callback`,
    });
    expect(got.text).not.toContain(idp.clientSecret);
    const wrong = await setSso({ issuer: `${idp.issuer}/nowhere` });
    expect(wrong.status).toBe(400);
  });

  it("a person of an allowed domain joins with the configured role, and is matched by email after", async () => {
    const first = await signIn("ada", "/runs?state=RUNNING");
    expect(first.landed).toBe("/runs?state=RUNNING");
    expect(first.session).toBeTruthy();
    const who = await me(first.jar);
    expect(who.json).toMatchObject({ user: { email: "ada@alpha.example" }, role: "viewer" });
    const uid = who.json.user.uid;
    const promoted = await api(s.url, "PATCH", `/api/v1/team/members/${uid}`, {
      key: s.key,
      body: { role: "member" },
    });
    expect(promoted.status).toBe(200);
    const again = await signIn("ada");
    expect(again.landed).toBe("/runs");
    expect((await me(again.jar)).json).toMatchObject({ user: { uid }, role: "member" });
    const members = await api(s.url, "GET", "/api/v1/team/members", { key: s.key });
    expect(members.json.members.filter((m: any) => m.email === "ada@alpha.example")).toHaveLength(
      1,
    );
  });

  it("refuses a person of a domain not allowed, and an email the provider did not verify", async () => {
    const cy = await signIn("cy");
    expect(cy.landed).toBe("/sign-in?error=sso&reason=domain_not_allowed");
    expect(cy.session).toBeUndefined();
    const dee = await signIn("dee");
    expect(dee.landed).toBe("/sign-in?error=sso&reason=email_not_verified");
    const members = await api(s.url, "GET", "/api/v1/team/members", { key: s.key });
    const emails = members.json.members.map((m: any) => m.email);
    expect(emails).not.toContain("cy@beta.example");
    expect(emails).not.toContain("dee@alpha.example");
  });

  it("refuses a callback whose state was altered, or that this browser did not start", async () => {
    idp.signInAs("bob");
    const jar = new Jar();
    const { url: callback } = await browse(jar, startUrl(), isCallback);
    const altered = new URL(callback);
    altered.searchParams.set("state", `${altered.searchParams.get("state")}x`);
    expect((await browse(jar, altered.toString())).url).toContain("reason=state_mismatch");
    // another browser (no state cookie) with the genuine answer
    expect((await browse(new Jar(), callback)).url).toContain("reason=state_mismatch");
  });

  it("refuses an ID token for another nonce (the request's nonce altered on the way)", async () => {
    idp.signInAs("bob");
    const jar = new Jar();
    const toProvider = await browse(jar, startUrl(), (u) => u.startsWith(idp.issuer));
    const tampered = new URL(toProvider.url);
    tampered.searchParams.set("nonce", "an-attackers-nonce");
    const { url } = await browse(jar, tampered.toString());
    expect(url).toContain("reason=provider_error");
    expect(jar.get(s.url, "ambit_session")).toBeUndefined();
  });

  it("refuses an ID token whose signature was altered", async () => {
    idp.tamperNextIdToken();
    const bob = await signIn("bob");
    expect(bob.landed).toBe("/sign-in?error=sso&reason=provider_error");
    expect(bob.session).toBeUndefined();
  });

  it("refuses a replayed callback", async () => {
    idp.signInAs("bob");
    const jar = new Jar();
    const { url: callback } = await browse(jar, startUrl(), isCallback);
    const state = jar.get(s.url, "ambit_sso_state")!;
    const done = await browse(jar, callback);
    expect(done.url).toBe(`${s.url}/runs`);
    jar.set(s.url, "ambit_sso_state", state); // even with the state cookie put back
    const replay = await fetch(callback, {
      redirect: "manual",
      headers: { cookie: `ambit_sso_state=${state}` },
    });
    expect(replay.headers.get("location")).toBe("/sign-in?error=sso&reason=expired");
    expect(replay.headers.getSetCookie().join()).not.toContain("ambit_session=");
  });

  it("SSO required: key sign-in is refused naming SSO, API keys still work, SSO still signs in", async () => {
    const before = await api(s.url, "POST", "/auth/sign-in", { body: { api_key: s.key } });
    expect(before.status).toBe(204);
    const keySession = before.headers
      .getSetCookie()
      .join()
      .match(/ambit_session=([^;]+)/)![1];
    expect((await setSso({ required: true })).status).toBe(200);
    // the session opened with a key ended when SSO became required
    const ended = await api(s.url, "GET", "/api/v1/me", {
      headers: { cookie: `ambit_session=${keySession}` },
    });
    expect(ended.status).toBe(401);
    const refused = await api(s.url, "POST", "/auth/sign-in", { body: { api_key: s.key } });
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toMatch(/single sign-on/);
    expect(refused.json.sso_required).toBe(true);
    expect((await api(s.url, "GET", "/api/v1/team", { key: s.key })).status).toBe(200);
    const ada = await signIn("ada");
    expect(ada.landed).toBe("/runs");
    expect((await me(ada.jar)).status).toBe(200);
  });

  it("ambit login --web: the CLI receives a key named after the machine once a person approves", async () => {
    const ada = await signIn("ada");
    const adaUid = (await me(ada.jar)).json.user.uid;
    const home = freshConfigHome();
    dirs.push(home);
    const env = { XDG_CONFIG_HOME: home, AMBIT_NO_BROWSER: "1" };
    const cli = startCli(bin, ["login", "--web", "--url", s.url], { env });
    clis.push(cli);
    await cli.output(/\/login\/device\?code=([A-Z]{4}-[A-Z]{4})/);
    const code = cli.stdout.match(/code=([A-Z]{4}-[A-Z]{4})/)![1];
    expect(cli.stdout).toContain(code);
    const asAda = { cookie: ada.jar.header(s.url), origin: s.url };
    const shown = await api(s.url, "GET", `/api/v1/auth/device/${code}`, { headers: asAda });
    expect(shown.json).toMatchObject({ user_code: code, client_name: hostname() });
    const approved = await api(s.url, "POST", `/api/v1/auth/device/${code}`, {
      headers: asAda,
      body: { approve: true },
    });
    expect(approved.status, approved.text).toBe(200);
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    const whoami = await runCli(bin, ["whoami", "--json"], { env: { XDG_CONFIG_HOME: home } });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout).caller).toMatchObject({ uid: adaUid, type: "user" });
    const keys = await api(s.url, "GET", "/api/v1/api-keys", { key: s.key });
    const key = keys.json.api_keys.find((k: any) => k.name.startsWith(hostname()));
    expect(key).toMatchObject({ role: "member", revoked_at: null });
    // the code is spent: approving it again finds nothing
    const twice = await api(s.url, "POST", `/api/v1/auth/device/${code}`, {
      headers: asAda,
      body: { approve: true },
    });
    expect(twice.status).toBe(404);
  });

  it("ambit sso get|set|delete: the settings from the CLI, the secret piped", async () => {
    const env = { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key };
    const got = await runCli(bin, ["sso", "get", "--json"], { env });
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ issuer: idp.issuer, required: true });
    const args = ["sso", "set", "--issuer", idp.issuer, "--client-id", idp.clientId];
    const more = ["--domain", "alpha.example", "--domain", "beta.example", "--role", "member"];
    const set = await runCli(bin, [...args, ...more, "--json"], { env, input: idp.clientSecret });
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      allowed_domains: ["alpha.example", "beta.example"],
      default_role: "member",
      required: false,
    });
    // the piped secret is the one the provider knows: cy of beta.example now joins as a member
    const cy = await signIn("cy");
    expect(cy.landed).toBe("/runs");
    expect((await me(cy.jar)).json).toMatchObject({ role: "member" });
    const gone = await runCli(bin, ["sso", "delete"], { env });
    expect(gone.code, gone.stderr).toBe(0);
    expect((await api(s.url, "GET", "/api/v1/team/sso", { key: s.key })).status).toBe(404);
  });

  it("the GitHub preset (an Enterprise Server's URL): the verified primary email signs in", async () => {
    const put = await setSso({
      provider: "github",
      issuer: gh.url,
      client_id: gh.clientId,
      client_secret: gh.clientSecret,
      default_role: "viewer",
    });
    expect(put.status, put.text).toBe(200);
    const emails = (primary: string, verified: boolean) => [
      { email: "someone@elsewhere.example", primary: false, verified: true },
      { email: primary, primary: true, verified },
    ];
    gh.signInAs(emails("Gus@Alpha.example", true));
    const jar = new Jar();
    const { url } = await browse(jar, startUrl());
    expect(url).toBe(`${s.url}/runs`);
    expect((await me(jar)).json).toMatchObject({
      user: { email: "gus@alpha.example" },
      role: "viewer",
    });
    gh.signInAs(emails("hal@alpha.example", false));
    expect((await browse(new Jar(), startUrl())).url).toContain("reason=email_not_verified");
  });
});
