// The console's public run page and schedules screens in a real browser against a real platform:
// a run shared from the signed-in console opens at its link in a cookieless browser, read-only and
// live; a revoked link says so. Schedules: created with a time zone from the console, its next
// slots as the API reads them, a wrong cron field explained, paused and resumed, edited, deleted;
// a viewer changes nothing. axe-core on every screen, a screenshot of each.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/model-server.ts";
import { api } from "../e2e/helpers.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { launch, NO_BROWSER, shot, watchedPage } from "./browser.ts";
import { expectAccessible, signedInContext } from "./session.ts";
import { addMember, type ConsolePlatform, MODEL, POOL, startConsolePlatform } from "./platform.ts";

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

const signedIn = (key: string) => signedInContext(browser, p.s.url, key);

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

describe.skipIf(!!NO_BROWSER)("the schedules screens", () => {
  it("creates a schedule in a time zone showing the API's next slots; explains a wrong field; pauses, resumes, edits, deletes", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs");
    await page.getByRole("link", { name: "Schedules" }).click();
    await page.waitForURL(/\/schedules$/);
    await page.getByRole("link", { name: "New schedule" }).click();
    await page.waitForURL(/\/schedules\/new$/);
    await page.getByLabel("Name").fill("Weekday check");
    await page.getByLabel("Prompt").fill("Check the README");
    await page.getByLabel("Time zone").fill("Asia/Kolkata");
    // a wrong field is explained as you type, naming it
    await page.getByLabel(/^Cron/).fill("0 25 * * *");
    await page.getByTestId("cron-error").getByText("field 2 (hour) '25' is not valid").waitFor();
    await shot(page, "schedule-cron-error");
    await page.getByLabel(/^Cron/).fill("30 9 * * 1-5");
    const slots = page.getByRole("region", { name: "Next runs" }).locator("time");
    await expect.poll(() => slots.count()).toBe(5);
    const shown = await slots.evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
    await expectAccessible(page, "schedule-new");
    await page.getByRole("button", { name: "Create schedule" }).click();
    await page.waitForURL(/\/schedules\/(?!new)[^/]+$/);
    const id = page.url().split("/").pop()!;
    // the server's reading of the same cron: its next_run is the first slot the form showed
    const got = await api(p.s.url, "GET", `/api/v1/agent/schedules/${id}`, { key: p.s.key });
    expect(got.json.timezone).toBe("Asia/Kolkata");
    expect(new Date(got.json.history.next_run).toISOString()).toBe(shown[0]);
    // 09:30 in Kolkata is 04:00 UTC, on a weekday
    for (const iso of shown) {
      const d = new Date(iso!);
      expect([d.getUTCHours(), d.getUTCMinutes()]).toEqual([4, 0]);
      expect([0, 6]).not.toContain(new Date(d.getTime() + 5.5 * 3600_000).getUTCDay());
    }
    await page.getByRole("heading", { name: "Weekday check" }).waitFor();
    expect(
      await page
        .getByRole("region", { name: "Next runs" })
        .locator("time")
        .first()
        .getAttribute("datetime"),
    ).toBe(shown[0]);
    await expectAccessible(page, "schedule");

    // pause and resume
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Resume" }).waitFor();
    const paused = await api(p.s.url, "GET", `/api/v1/agent/schedules/${id}`, { key: p.s.key });
    expect(paused.json.enabled).toBe(false);
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();

    // edit: the API's refusal inline, then a good cron saved
    await page.getByRole("link", { name: "Edit" }).click();
    await page.waitForURL(/\/edit$/);
    await page.getByLabel("Time zone").fill("Mars/Olympus");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.getByRole("alert").getByText("The schedule was not saved").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("IANA");
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    await page.getByLabel(/^Cron/).fill("0 3 * * *");
    await expectAccessible(page, "schedule-edit");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.waitForURL(new RegExp(`/schedules/${id}$`));
    await page.getByText("0 3 * * * (Europe/Berlin)").waitFor();

    // the list: next run and last result
    await page.goto("/schedules");
    const row = page.locator(`tr[data-schedule-id="${id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("Europe/Berlin");
    await expectAccessible(page, "schedules");

    // a viewer sees it and changes nothing
    const viewer = await addMember(p.s, "viewer");
    const asViewer = await signedIn(viewer.key);
    const vpage = await asViewer.newPage();
    await vpage.goto("/schedules");
    await vpage.locator(`tr[data-schedule-id="${id}"]`).waitFor();
    expect(await vpage.getByRole("link", { name: "New schedule" }).count()).toBe(0);
    await vpage.goto(`/schedules/${id}`);
    await vpage.getByRole("heading", { name: "Weekday check" }).waitFor();
    for (const name of ["Pause", "Resume", "Delete"])
      expect(await vpage.getByRole("button", { name }).count()).toBe(0);
    expect(await vpage.getByRole("link", { name: "Edit" }).count()).toBe(0);
    await expectAccessible(vpage, "schedule-viewer");
    await asViewer.close();

    // delete, after a confirmation
    await page.goto(`/schedules/${id}`);
    await page.getByRole("button", { name: "Delete" }).click();
    await expectAccessible(page, "schedule-delete-dialog");
    await page.getByRole("button", { name: "Yes, delete it" }).click();
    await page.waitForURL(/\/schedules$/);
    const gone = await api(p.s.url, "GET", `/api/v1/agent/schedules/${id}`, { key: p.s.key });
    expect(gone.status).toBe(404);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]); // the refused edit
    await context.close();
  });
});
