// The console's public run page and schedules screens in a real browser against a real platform:
// a run shared from the signed-in console opens at its link in a cookieless browser, read-only and
// live; a revoked link says so. axe-core on every screen, a screenshot of each.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/model-server.ts";
import { api } from "../e2e/helpers.ts";
import { axeViolations } from "./axe.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { launch, NO_BROWSER, shot, watchedPage } from "./browser.ts";
import { type ConsolePlatform, MODEL, POOL, startConsolePlatform } from "./platform.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

const holds: Array<() => void> = [];

/** The model: a SHARED run waits until the test lets it answer; anything else answers at once. */
function script(req: RecordedRequest) {
  const all = JSON.stringify(req.body?.messages ?? []);
  if (all.includes("SHARED"))
    return {
      text: "Shared answer: **all good**.",
      hold: new Promise<void>((r) => holds.push(r)),
    };
  return { text: "Done." };
}

let p: ConsolePlatform;
let browser: Browser;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [p, browser] = await Promise.all([startConsolePlatform(script), launch()]);
});

afterAll(async () => {
  for (const release of holds) release();
  await browser?.close();
  await p?.stop();
});

async function signedIn(key: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: p.s.url });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/runs");
  await page.close();
  return context;
}

async function expectAccessible(page: Page, screen: string) {
  await shot(page, screen);
  expect(await axeViolations(page), `axe on ${screen}`).toEqual([]);
}

const stateOf = (page: Page) => page.locator(".run-header .badge").getAttribute("data-state");

describe.skipIf(!!NO_BROWSER)("the public run page", () => {
  it("opens the share dialog's link with no sign-in: read-only, live, no member ids; revoked says so", async () => {
    const created = await api(p.s.url, "POST", "/api/v1/agent/runs", {
      key: p.s.key,
      body: {
        prompt: "SHARED work",
        title: "Shared run",
        config: { model_id: MODEL, worker_host: POOL },
      },
    });
    expect(created.status, created.text).toBe(200);
    const runId = created.json.run_id as string;

    // the owner shares it from the run page and copies the link it gives
    const owner = await signedIn(p.s.key);
    const ownerPage = await owner.newPage();
    await ownerPage.goto(`/runs/${runId}`);
    await ownerPage.getByRole("button", { name: "Share" }).click();
    await ownerPage.getByLabel("Public link", { exact: true }).first().waitFor();
    await ownerPage.locator("#share-public").selectOption("VIEWER");
    await ownerPage.getByRole("button", { name: "Save" }).click();
    const linkBox = ownerPage.getByRole("textbox", { name: "Public link" });
    await linkBox.waitFor();
    const link = await linkBox.inputValue();
    expect(link).toMatch(new RegExp(`^${p.s.url}/share/[A-Za-z0-9_-]{40,}$`));
    await owner.close();

    // a stranger: a fresh browser with no cookie
    const stranger = await browser.newContext();
    const { page, errors } = await watchedPage(stranger);
    await page.goto(link);
    await page.getByRole("heading", { name: "Shared run" }).waitFor();
    await expect.poll(() => stateOf(page), { timeout: 30_000 }).toBe("INPROGRESS");
    expect(page.url()).toBe(link); // no detour through sign-in
    await expectAccessible(page, "public-run-live");
    // live: the answer arrives over the link's websocket, no reload
    await expect.poll(() => holds.length, { timeout: 30_000 }).toBeGreaterThan(0);
    for (const release of holds) release();
    await page
      .locator(".t-message")
      .getByText("Shared answer")
      .first()
      .waitFor({ timeout: 60_000 });
    await expect.poll(() => stateOf(page), { timeout: 30_000 }).toBe("SUCCEEDED");
    expect(await page.locator(".t-message strong").first().textContent()).toBe("all good");
    // read-only: no steering, no sharing, no cancel; and no member's id or email anywhere
    expect(await page.getByRole("button").count()).toBe(0);
    expect(await page.getByRole("textbox").count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain(p.s.owner.uid);
    expect(html).not.toContain("@example.com");
    await expectAccessible(page, "public-run-succeeded");
    expect(errors).toEqual([]);

    // the API's own link still serves programs
    const shareId = link.split("/").at(-1)!;
    const viaApi = await api(p.s.url, "GET", `/api/v1/public/runs/${shareId}`, {});
    expect(viaApi.status).toBe(200);

    // revoked: the same link now says it is no longer shared
    const revoked = await api(p.s.url, "PATCH", `/api/v1/agent/runs/${runId}/sharing`, {
      key: p.s.key,
      body: { public: "NONE" },
    });
    expect(revoked.status, revoked.text).toBe(200);
    errors.length = 0;
    await page.reload();
    await page.getByRole("heading", { name: "This run is no longer shared" }).waitFor();
    await expectAccessible(page, "public-run-revoked");
    expect(errors.filter((e) => !/404 \(Not Found\)/.test(e))).toEqual([]);
    await stranger.close();
  });
});
