// The audit log screen (/settings/audit-log) in a real browser against a real platform: the
// entries the API recorded, a row's changes unfolded, a filter kept in the URL, older entries
// loaded on scrolling, a viewer told it is for admins; axe-core and a screenshot.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { api, type E2eServer, startE2eServer } from "../e2e/helpers.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { addMember } from "./platform.ts";
import { expectAccessible, signedInContext } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

let s: E2eServer;
let browser: Browser;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [s, browser] = await Promise.all([
    startE2eServer({ teamName: "Audit team", vars: { SIGN_INS_PER_IP_PER_MINUTE: "1000" } }),
    launch(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

describe.skipIf(!!NO_BROWSER)("the audit log screen", () => {
  it("lists entries, unfolds changes, filters by the URL, loads older entries, refuses a viewer", async () => {
    const viewer = await addMember(s, "viewer");
    await api(s.url, "PATCH", `/api/v1/team/members/${viewer.uid}`, {
      key: s.key,
      body: { role: "member" },
    });
    await api(s.url, "PATCH", `/api/v1/team/members/${viewer.uid}`, {
      key: s.key,
      body: { role: "viewer" },
    });
    // more than a page (50) of entries
    for (let i = 0; i < 50; i++)
      await api(s.url, "PATCH", "/api/v1/team", { key: s.key, body: { name: `Audit team ${i}` } });

    const context = await signedInContext(browser, s.url, s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/settings");
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL(/\/settings\/audit-log$/);
    const rows = page.locator("table.audit-log tbody tr");
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(50);
    await expect.poll(() => rows.first().textContent()).toContain("auth.sign_in");
    await expectAccessible(page, "audit-log");

    // scrolling to the end loads the older page, down to the team's first entry
    await page.getByRole("button", { name: "Older entries" }).scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('tr[data-seq="1"]').count()).toBe(1);
    expect(await page.locator('tr[data-seq="1"]').textContent()).toContain("team.create");

    // a filter is the URL's, and a row's changes unfold
    await page.getByLabel("Action").fill("member.update");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=member\.update/);
    await expect.poll(() => rows.count()).toBe(2);
    await rows.first().getByText("1 field").click();
    await expect
      .poll(() => rows.first().locator("dl").textContent())
      .toContain('role"member" → "viewer"');
    await expectAccessible(page, "audit-log-filtered");
    expect(errors).toEqual([]);

    // a viewer: told it is for admins, no entries
    const theirs = await signedInContext(browser, s.url, viewer.key);
    const vpage = await theirs.newPage();
    await vpage.goto("/settings/audit-log");
    await vpage.getByText("The audit log is for the team's admins and owners.").waitFor();
    expect(await vpage.locator("table.audit-log").count()).toBe(0);
    await theirs.close();
    await context.close();
  });
});
