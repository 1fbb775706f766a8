// The console's Integrations and outbound Webhooks in a real browser against a real platform: a
// generic webhook integration created in the UI with its secret shown once, a delivery signed by
// the independent `standardwebhooks` library and the run it started in the log; an outbound
// webhook's test event to a local receiver and its attempt; a Slack app installed through the
// console's OAuth link (Slack's authorize page stood in for by the browser context's route, its
// Web API by test/fakes/slack-web-api.ts); a member and a viewer without write controls. Each
// screen checked with axe-core.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { api, type Json, waitFor } from "../e2e/helpers.ts";
import { startFakeSlackWebApi } from "../fakes/slack-web-api.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../fakes/webhook-receiver.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { addMember, type ConsolePlatform, MODEL, POOL, startConsolePlatform } from "./platform.ts";
import { expectAccessible, signedInContext } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

const PUBLIC_URL = "https://ambit.example.test";
const SIGNING_SECRET = "a-slack-signing-secret-for-the-console";

let p: ConsolePlatform;
let browser: Browser;
let receiver: WebhookReceiver;
let slack: Awaited<ReturnType<typeof startFakeSlackWebApi>>;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [receiver, slack] = await Promise.all([
    startWebhookReceiver(),
    startFakeSlackWebApi({ token: "xoxb-installed", botUserId: "UBOT" }),
  ]);
  [p, browser] = await Promise.all([
    startConsolePlatform(() => ({ text: "Done." }), {
      PUBLIC_URL,
      SLACK_API_URL: slack.url,
      // the receiver is on 127.0.0.1
      WEBHOOKS_ALLOW_PRIVATE: "true",
    }),
    launch(),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await p?.stop();
  await receiver?.close();
  await slack?.close();
});

const signedIn = (key: string) => signedInContext(browser, p.s.url, key, { timezoneId: "UTC" });

/** The API's answer, as the owner asks it; fails on anything but `status`. */
async function owner(method: string, route: string, body?: Json, status = 200): Promise<Json> {
  const res = await api(p.s.url, method, `/api/v1${route}`, { key: p.s.key, body });
  expect(res.status, res.text).toBe(status);
  return res.json;
}

/** A delivery signed per Standard Webhooks by the independent library, as a sender would. */
async function sendSigned(url: string, secret: string, payload: Json) {
  const body = JSON.stringify(payload);
  const id = `msg_${crypto.randomUUID()}`;
  const at = new Date();
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, at, body),
    },
    body,
  });
}

/** Waits for `select`'s list to arrive (it is remounted then) and picks `value`. */
async function pick(page: Page, label: string, value: string) {
  const select = page.getByLabel(label);
  await select.locator(`option[value="${value}"]`).waitFor({ state: "attached" });
  await select.selectOption(value);
}

async function confirmDelete(page: Page) {
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Yes, delete it" }).click();
}

describe.skipIf(!!NO_BROWSER)("integrations and outbound webhooks in the console", () => {
  it("creates a signed webhook integration, shows its secret once, and logs a delivery's run", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs");
    await page.getByRole("navigation", { name: "Sections" }).getByText("Integrations").click();
    await page.waitForURL("**/integrations");
    await page.getByRole("link", { name: "New integration" }).click();
    const form = page.getByRole("form", { name: "New integration" });
    expect(await form.getByLabel("Type").inputValue()).toBe("webhook");
    await form.getByLabel("Name").fill("alerts");
    await pick(page, "Host pool", POOL);
    await pick(page, "Model", MODEL);
    await form.getByLabel("Prompt template").fill("Investigate {{payload.alert.title}}");
    await expectAccessible(page, "integration-new");
    await form.getByRole("button", { name: "Create integration" }).click();

    const secret = await page.getByTestId("generated-secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    const inbound = await page.getByTestId("inbound-url").inputValue();
    const [item] = ((await owner("GET", "/integrations")).integrations as Json[]).filter(
      (i) => i.name === "alerts",
    );
    expect(item).toMatchObject({
      type: "webhook",
      enabled: true,
      inbound_url: inbound,
      credentials: { secret: true },
      run_defaults: { worker_host: POOL, model_id: MODEL },
      prompt_template: "Investigate {{payload.alert.title}}",
    });
    await expectAccessible(page, "integration-created");

    const sent = await sendSigned(inbound, secret, {
      type: "alert.fired",
      alert: { title: "disk full" },
    });
    expect(sent.status, await sent.text()).toBe(202);
    await page.getByRole("link", { name: "Go to alerts" }).click();
    const row = page.locator('[data-testid="deliveries"] tr[data-outcome="run_created"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain("alert.fired");
    const { deliveries } = await owner("GET", `/integrations/${item.uid}/deliveries`);
    const runId = deliveries[0].run_id as string;
    expect(runId).toBeTruthy();
    const run = await owner("GET", `/agent/runs/${runId}`);
    expect(run.prompt).toBe("Investigate disk full");
    expect(await page.getByText(secret).count()).toBe(0);
    await expectAccessible(page, "integration-deliveries");

    // redelivered: a second row, linked to the first
    await row.getByRole("button", { name: /^Redeliver/ }).click();
    await page.getByText("(redelivery)").waitFor({ timeout: 30_000 });

    // its run, through the log's link
    await row.getByRole("link", { name: runId }).click();
    await page.waitForURL(`**/runs/${runId}`);

    // the list: its last delivery; never the secret again
    await page.goto("/integrations");
    const listed = page.locator('tr[data-integration="alerts"]');
    await listed.locator("[data-outcome]").waitFor();
    expect(await listed.getByLabel("Inbound URL of alerts").inputValue()).toBe(inbound);
    expect(await page.content()).not.toContain(secret);
    await expectAccessible(page, "integrations");

    // disabled, then deleted after the confirmation
    await listed.getByRole("link", { name: "alerts" }).click();
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    expect((await owner("GET", `/integrations/${item.uid}`)).enabled).toBe(false);
    await confirmDelete(page);
    await page.waitForURL(/\/integrations$/);
    await owner("GET", `/integrations/${item.uid}`, undefined, 404);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("creates an outbound webhook with its secret once, sends a test event and shows the attempt", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs");
    await page.getByRole("navigation", { name: "Sections" }).getByText("Webhooks").click();
    await page.waitForURL("**/settings/webhooks");
    const form = page.getByRole("form", { name: "New webhook" });
    const url = `${receiver.url}/hooks/console`;
    await form.getByLabel("URL").fill(url);
    await form.getByLabel("run.created").check();
    await form.getByRole("button", { name: "Create webhook" }).click();
    const secret = await page.getByTestId("webhook-secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    const listed = page.locator(`tr[data-webhook="${url}"]`);
    await listed.waitFor();
    expect(await listed.textContent()).toMatch(
      /run\.created, run\.completed|run\.completed, run\.created/,
    );
    await expectAccessible(page, "webhooks");

    const [hook0] = ((await owner("GET", "/webhooks")).webhooks as Json[]).filter(
      (w) => w.url === url,
    );
    await listed.getByRole("link", { name: url }).click();
    await page.getByRole("button", { name: "Send test event" }).click();
    const row = page.locator('[data-testid="webhook-deliveries"] tr[data-status="succeeded"]');
    await row.waitFor({ timeout: 30_000 });
    await row.getByText("1 attempt").click();
    await row.getByText("HTTP 200").waitFor();
    const calls = (await (await fetch(`${receiver.url}/calls/console`)).json()) as Json[];
    expect(calls).toHaveLength(1);
    const event = new Webhook(secret).verify(calls[0].body, calls[0].headers) as Json;
    expect(event).toMatchObject({ type: "webhook.test" });
    expect(await page.content()).not.toContain(secret);
    await expectAccessible(page, "webhook-deliveries");

    // resent: the same webhook-id once more
    await row.getByRole("button", { name: /^Resend/ }).click();
    expect(
      await waitFor(
        async () =>
          ((await (await fetch(`${receiver.url}/calls/console`)).json()) as Json[]).length === 2,
        30_000,
      ),
    ).toBe(true);
    const again = (await (await fetch(`${receiver.url}/calls/console`)).json()) as Json[];
    expect(again[1].headers["webhook-id"]).toBe(calls[0].headers["webhook-id"]);

    // edited: another URL, one event type less, a description; the same secret signs
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit webhook" });
    expect(await edit.getByLabel("URL").inputValue()).toBe(url);
    expect(await edit.getByLabel("run.created").isChecked()).toBe(true);
    const moved = `${receiver.url}/hooks/console-moved`;
    await edit.getByLabel("URL").fill(moved);
    await edit.getByLabel("run.created").uncheck();
    await edit.getByLabel("Description (optional)").fill("CI notifications");
    await expectAccessible(page, "webhook-edit");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    expect(await page.getByTestId("webhook-url").textContent()).toBe(moved);
    const [edited] = ((await owner("GET", "/webhooks")).webhooks as Json[]).filter(
      (w) => w.uid === hook0.uid,
    );
    expect(edited).toMatchObject({
      url: moved,
      event_types: ["run.completed"],
      description: "CI notifications",
    });

    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    const [hook] = ((await owner("GET", "/webhooks")).webhooks as Json[]).filter(
      (w) => w.uid === hook0.uid,
    );
    expect(hook.enabled).toBe(false);
    await confirmDelete(page);
    await page.waitForURL(/\/settings\/webhooks$/);
    expect(
      ((await owner("GET", "/webhooks")).webhooks as Json[]).some((w) => w.uid === hook0.uid),
    ).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("installs a Slack app through the console's OAuth link, then links the owner's Slack account", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/integrations/new?type=slack");
    const form = page.getByRole("form", { name: "New integration" });
    expect(await form.getByLabel("Install with OAuth").isChecked()).toBe(true);
    await form.getByLabel("Name").fill("slack");
    await form.getByLabel("Signing secret").fill(SIGNING_SECRET);
    await form.getByLabel("Client id").fill("1234.5678");
    await form.getByLabel("Client secret").fill("a-client-secret");
    await form.getByRole("button", { name: "Create integration" }).click();
    await page.getByRole("button", { name: "Make an install link" }).click();
    const href = await page.getByTestId("install-link").getAttribute("href");
    const link = new URL(href ?? "");
    expect(link.origin + link.pathname).toBe("https://slack.com/oauth/v2/authorize");
    expect(link.searchParams.get("client_id")).toBe("1234.5678");
    const scopes = link.searchParams.get("scope")?.split(",");
    expect(scopes).toEqual(expect.arrayContaining(["app_mentions:read", "chat:write", "commands"]));
    expect(scopes).toContain("users:read.email");
    const callback = `${PUBLIC_URL}/api/v1/integrations/install/callback`;
    expect(link.searchParams.get("redirect_uri")).toBe(callback);
    await page.getByText(callback).waitFor();
    await expectAccessible(page, "integration-install-link");

    // Slack approves at once: its page sends the browser back to the callback with a code
    await context.route("https://slack.com/**", (route) => {
      const state = new URL(route.request().url()).searchParams.get("state") ?? "";
      const back = `${p.s.url}/api/v1/integrations/install/callback?code=good-code&state=${encodeURIComponent(state)}`;
      return route.fulfill({ status: 302, headers: { location: back } });
    });
    const [tab] = await Promise.all([
      context.waitForEvent("page"),
      page.getByTestId("install-link").click(),
    ]);
    await tab.getByText("Installed.").waitFor();
    expect(slack.callsOf("oauth.v2.access").at(-1)?.args).toMatchObject({
      code: "good-code",
      client_id: "1234.5678",
      redirect_uri: callback,
    });
    await tab.close();

    await page.getByRole("link", { name: "Go to slack" }).click();
    const set = page.locator('dd[data-field="Credentials set"]');
    await set.waitFor();
    expect(await set.textContent()).toContain("bot_token");
    expect(await page.content()).not.toContain("xoxb-installed");
    // edited: a new name; the credentials and the bot's user id the install stored stay
    await page.getByRole("link", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit slack" });
    await edit.getByLabel("Name").fill("slack-acme");
    await edit.getByRole("button", { name: "Save integration" }).click();
    await page.getByRole("heading", { name: "slack-acme" }).waitFor();
    const saved = ((await owner("GET", "/integrations")).integrations as Json[]).find(
      (i) => i.name === "slack-acme",
    );
    expect(saved?.credentials).toMatchObject({ bot_token: true, signing_secret: true });
    expect(saved?.settings).toMatchObject({ bot_user_id: "UBOT" });
    await page.getByRole("button", { name: "Make a link code" }).click();
    const code = await page.getByTestId("link-code").inputValue();
    await page.getByText(`In Slack, type: /ambit link ${code}`).waitFor();
    await expectAccessible(page, "integration-slack");
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("pages a long delivery log with its cursor, filtered by outcome, with why each was ignored", async () => {
    const created = await owner(
      "POST",
      "/integrations",
      {
        type: "webhook",
        name: "filtered",
        settings: { filters: [{ path: "severity", equals: "high" }] },
      },
      201,
    );
    const secret = created.generated_credentials.secret as string;
    const sent = await Promise.all(
      Array.from({ length: 22 }, (_, n) =>
        sendSigned(created.inbound_url, secret, { type: "alert", severity: "low", n }),
      ),
    );
    expect(sent.map((r) => r.status)).toEqual(Array(22).fill(202));
    const ignored = async () =>
      (await owner("GET", `/integrations/${created.uid}/deliveries?outcome=ignored&limit=100`))
        .deliveries.length;
    expect(await waitFor(async () => (await ignored()) === 22, 60_000)).toBe(true);
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto(`/integrations/${created.uid}?outcome=ignored`);
    const rows = page.locator('[data-testid="deliveries"] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(20);
    expect(await rows.first().textContent()).toContain("severity");
    await page.getByRole("button", { name: "Older deliveries" }).click();
    await rows.nth(21).waitFor();
    expect(await rows.count()).toBe(22);
    expect(await page.getByRole("button", { name: "Older deliveries" }).count()).toBe(0);
    // another outcome: none
    await page.getByLabel("Outcome").selectOption("run_created");
    await page.waitForURL(/outcome=run_created/);
    await page.getByText("No deliveries with this outcome.").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("a member reads integrations without write controls; a viewer is refused, with no entries", async () => {
    const created = await owner(
      "POST",
      "/integrations",
      { type: "webhook", name: "read-only" },
      201,
    );
    await sendSigned(created.inbound_url, created.generated_credentials.secret, { type: "ping" });
    await waitFor(
      async () =>
        (await owner("GET", `/integrations/${created.uid}/deliveries`)).deliveries[0]?.outcome !==
        "received",
      30_000,
    );
    const member = await addMember(p.s, "member");
    const theirs = await signedIn(member.key);
    const m = await watchedPage(theirs);
    const nav = m.page.getByRole("navigation", { name: "Sections" });
    await m.page.goto("/integrations");
    await m.page.locator('tr[data-integration="read-only"]').waitFor();
    expect(await nav.getByText("Webhooks").count()).toBe(0);
    expect(await m.page.getByRole("link", { name: "New integration" }).count()).toBe(0);
    await m.page.getByRole("link", { name: "read-only" }).click();
    await m.page.getByTestId("deliveries").waitFor({ timeout: 30_000 });
    const write = /^(Disable|Enable|Edit|Delete|Redeliver.*|Make an install link)$/;
    expect(await m.page.getByRole("button", { name: write }).count()).toBe(0);
    expect(await m.page.getByRole("link", { name: "Edit" }).count()).toBe(0);
    await expectAccessible(m.page, "integration-member");
    await m.page.goto("/settings/webhooks");
    await m.page.getByRole("alert").getByText("for the team's admins").waitFor();
    expect(await m.page.getByRole("form").count()).toBe(0);
    await m.page.goto("/integrations/new");
    await m.page.getByRole("alert").getByText("may read integrations but not create").waitFor();
    expect(await m.page.locator("form").count()).toBe(0);
    expect(m.errors).toEqual([]);
    await theirs.close();

    const viewer = await addMember(p.s, "viewer");
    const context: BrowserContext = await signedIn(viewer.key);
    const v = await watchedPage(context);
    await v.page.goto("/integrations");
    await v.page.getByRole("alert").getByText("may not read integrations").waitFor();
    const vnav = v.page.getByRole("navigation", { name: "Sections" });
    expect(await vnav.getByText(/Integrations|Webhooks/).count()).toBe(0);
    expect(await v.page.getByRole("button", { name: write }).count()).toBe(0);
    await v.page.goto(`/integrations/${created.uid}`);
    await v.page.getByRole("alert").getByText("may not read integrations").waitFor();
    await expectAccessible(v.page, "integrations-viewer");
    expect(v.errors).toEqual([]);
    await context.close();
  }, 120_000);
});
