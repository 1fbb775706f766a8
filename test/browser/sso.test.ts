// Single sign-on in the console, in a real browser against a real platform and a real OpenID
// provider (test/fakes/oidc-provider.ts): an admin sets it up in Team's form, a person signs in
// with "Continue with single sign-on" (and one of another domain is told why not), and approves
// `ambit login --web`'s code on /login/device — each checked against the API, with axe-core.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { type FakeOidcProvider, startOidcProvider } from "../fakes/oidc-provider.ts";
import { api, type E2eServer, startE2eServer } from "../e2e/helpers.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { expectAccessible, signedInContext } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

let s: E2eServer;
let idp: FakeOidcProvider;
let browser: Browser;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [s, browser] = await Promise.all([
    startE2eServer({
      teamName: "SSO browser",
      vars: { SSO_ALLOW_HTTP: "true", SIGN_INS_PER_IP_PER_MINUTE: "1000" },
    }),
    launch(),
  ]);
  idp = await startOidcProvider(`${s.url}/api/v1/auth/sso/callback`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await idp?.close();
  await s?.stop();
});

/** A fresh browser that signs in through the sign-in page's single sign-on as `person`. */
async function ssoSignIn(person: string) {
  idp.signInAs(person);
  const context = await browser.newContext({ baseURL: s.url });
  const { page, errors } = await watchedPage(context);
  await page.goto("/sign-in");
  await page.getByLabel("Team id").fill(s.team.uid);
  await page.getByRole("button", { name: "Continue with single sign-on" }).click();
  return { context, page, errors };
}

describe.skipIf(!!NO_BROWSER)("single sign-on in the console", () => {
  it("an admin sets it up in Team's form; the secret is never shown back", async () => {
    const context = await signedInContext(browser, s.url, s.key);
    const { page } = await watchedPage(context);
    await page.goto("/team");
    const form = page.locator("section", {
      has: page.getByRole("heading", { name: "Single sign-on" }),
    });
    await form.getByLabel("Issuer URL").fill(idp.issuer);
    await form.getByLabel("Client id").fill(idp.clientId);
    await form.getByLabel("Client secret").fill(idp.clientSecret);
    await form.getByLabel("Allowed email domains").fill("alpha.example");
    await form.getByLabel("New people join as").selectOption("viewer");
    await form.getByRole("button", { name: "Save single sign-on" }).click();
    await form.getByRole("status").getByText("Saved.").waitFor();
    await form.getByText(`${s.url}/api/v1/auth/sso/callback`).waitFor();
    expect(await form.getByLabel("Client secret").inputValue()).toBe("");
    const sso = await api(s.url, "GET", "/api/v1/team/sso", { key: s.key });
    expect(sso.json).toMatchObject({ issuer: idp.issuer, default_role: "viewer" });
    await expectAccessible(page, "team-sso");
    await context.close();
  });

  it("a person signs in with it and lands on the runs; another domain is told why not", async () => {
    const ada = await ssoSignIn("ada");
    await ada.page.waitForURL("**/runs");
    const me = await ada.page.request.get(`${s.url}/api/v1/me`);
    expect(await me.json()).toMatchObject({ user: { email: "ada@alpha.example" }, role: "viewer" });
    await ada.context.close();

    const cy = await ssoSignIn("cy");
    await cy.page.waitForURL(/reason=domain_not_allowed/);
    await cy.page.getByRole("alert").getByText("domain may not sign in").waitFor();
    await expectAccessible(cy.page, "sign-in-sso-refused");
    await cy.context.close();
  });

  it("approves ambit login --web's code on /login/device", async () => {
    const pair = await api(s.url, "POST", "/api/v1/auth/device/code", {
      body: { client_name: "browser-laptop" },
    });
    const ada = await ssoSignIn("ada");
    await ada.page.waitForURL("**/runs");
    await ada.page.goto(`/login/device?code=${pair.json.user_code}`);
    await ada.page.getByText("browser-laptop").waitFor();
    await expectAccessible(ada.page, "device-login");
    await ada.page.getByRole("button", { name: "Approve" }).click();
    await ada.page.getByRole("status").getByText("Approved").waitFor();
    const got = await api(s.url, "POST", "/api/v1/auth/device/token", {
      body: { device_code: pair.json.device_code },
    });
    expect(got.json).toMatchObject({
      status: "approved",
      key_name: "browser-laptop (ambit login --web)",
    });
    expect(ada.errors).toEqual([]);
    await ada.context.close();
  });
});
