// The run page's artifacts and presence in a real browser against a real platform: a diff
// artifact rendered unified and side by side (the view kept in the URL), its files listed with
// counts and folded on request, long files shown in parts; who is watching, by name, seen by two
// signed-in people on the same run. axe-core on each view, a screenshot of each.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/model-server.ts";
import { api } from "../e2e/helpers.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { expectAccessible, signedInContext } from "./session.ts";
import { addMember, type ConsolePlatform, MODEL, POOL, startConsolePlatform } from "./platform.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

const holds: Array<() => void> = [];
/** The model holds its answer until the test ends: the run stays live while it is watched. */
const script = (_req: RecordedRequest) => ({
  text: "Done.",
  hold: new Promise<void>((r) => holds.push(r)),
});

let p: ConsolePlatform;
let browser: Browser;
let runId = "";

/** A diff as the runner uploads it: two files, one long enough to be shown in parts. */
const LONG = Array.from({ length: 450 }, (_, i) => `+line ${i + 1}`).join("\n");
const DIFF = `diff --git a/src/app.ts b/src/app.ts
index 83db48f..bf269f4 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,4 +1,4 @@
 const a = 1;
-const b = 2;
+const b = 3;
 const c = 4;
 end();
diff --git a/notes.txt b/notes.txt
new file mode 100644
--- /dev/null
+++ b/notes.txt
@@ -0,0 +1,450 @@
${LONG}
`;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [p, browser] = await Promise.all([startConsolePlatform(script), launch()]);
  const created = await api(p.s.url, "POST", "/api/v1/agent/runs", {
    key: p.s.key,
    body: {
      prompt: "Change the code",
      title: "Diff run",
      config: { model_id: MODEL, worker_host: POOL },
    },
  });
  expect(created.status, created.text).toBe(200);
  runId = created.json.run_id as string;
  const q = new URLSearchParams({ filename: "repo.diff", title: "Changes" });
  const up = await fetch(`${p.s.url}/api/v1/agent/runs/${runId}/artifacts/files?${q}`, {
    method: "POST",
    headers: { authorization: `Bearer ${p.s.key}`, "content-type": "text/x-diff" },
    body: DIFF,
  });
  expect(up.status, await up.clone().text()).toBe(201);
});

afterAll(async () => {
  for (const release of holds) release();
  await browser?.close();
  await p?.stop();
});

describe.skipIf(!!NO_BROWSER)("the run page's artifacts and presence", () => {
  it("renders a diff artifact unified and side by side, the view in the URL", async () => {
    const context = await signedInContext(browser, p.s.url, p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto(`/runs/${runId}?tab=artifacts`);
    await page.getByRole("link", { name: "Show diff repo.diff" }).click();
    await page.waitForURL(/diff=/);
    const viewer = page.getByRole("region", { name: "Diff repo.diff" });
    await viewer.waitFor();
    await expect.poll(() => viewer.getByText("2 files changed").count()).toBe(1);
    // the file list with counts
    expect(await page.getByRole("list", { name: "Changed files" }).textContent()).toMatch(
      /src\/app\.ts\s*\+1\s*−1.*notes\.txt\s*\+450\s*−0/,
    );
    // unified: one row a line, old and new numbers, +/- said in text, not only in colour
    const app = page.getByRole("region", { name: "src/app.ts" });
    const unified = await app.locator("table.diff tr").allInnerTexts();
    expect(unified.map((r) => r.replace(/\s+/g, " ").trim())).toEqual([
      "@@ -1,4 +1,4 @@",
      "1 1 const a = 1;",
      "2 - removed const b = 2;",
      "2 + added const b = 3;",
      "3 3 const c = 4;",
      "4 4 end();",
    ]);
    // a long file: its first 400 lines, then more on request
    const notes = page.getByRole("region", { name: "notes.txt" });
    expect(await notes.locator("table.diff tr").count()).toBe(400);
    await notes.getByRole("button", { name: /Show 51 more lines/ }).click();
    expect(await notes.locator("table.diff tr").count()).toBe(451);
    // the file list jumps to a file, focus with it
    await page
      .getByRole("list", { name: "Changed files" })
      .getByRole("link", { name: "notes.txt" })
      .click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("diff-file-1");
    await expectAccessible(page, "run-diff-unified");

    // side by side: the deletion and its addition on one row
    await page.getByRole("link", { name: "Side by side" }).click();
    await page.waitForURL(/view=split/);
    await app.locator("table.diff-split").waitFor();
    const split = await app.locator("table.diff tr").allInnerTexts();
    expect(split.map((r) => r.replace(/\s+/g, " ").trim())).toContain(
      "2 - removed const b = 2; 2 + added const b = 3;",
    );
    // a file folds and unfolds
    await app.getByRole("button", { name: "src/app.ts" }).click();
    expect(await app.locator("table.diff").count()).toBe(0);
    await app.getByRole("button", { name: "src/app.ts" }).click();
    await app.locator("table.diff").waitFor();
    await expectAccessible(page, "run-diff-split");
    // the URL alone restores it
    await page.reload();
    await page.locator("table.diff-split").first().waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("two people watching the same run see each other by name", async () => {
    const member = await addMember(p.s, "member");
    const me = await api(p.s.url, "GET", "/api/v1/me", { key: p.s.key });
    const ownerName = (me.json.user.name ?? me.json.user.email) as string;
    const [ownerContext, memberContext] = await Promise.all([
      signedInContext(browser, p.s.url, p.s.key),
      signedInContext(browser, p.s.url, member.key),
    ]);
    const owner = await watchedPage(ownerContext);
    const mate = await watchedPage(memberContext);
    await owner.page.goto(`/runs/${runId}`);
    await mate.page.goto(`/runs/${runId}`);
    const presence = (page: Page) => page.locator(".presence").textContent();
    await expect.poll(() => presence(owner.page), { timeout: 10_000 }).toContain("A member");
    await expect.poll(() => presence(mate.page), { timeout: 10_000 }).toContain(ownerName);
    expect(await presence(owner.page)).toMatch(/^Watching: /);
    expect(await presence(owner.page)).not.toContain(member.uid);
    await expectAccessible(owner.page, "run-presence");
    expect([...owner.errors, ...mate.errors]).toEqual([]);
    await Promise.all([ownerContext.close(), memberContext.close()]);
  });
});
