// The web console in a real browser against a real platform: sign in, start a run and watch it
// succeed live, steer it, cancel one, a viewer's read-only screens, a dropped session websocket
// resumed with every event exactly once, axe-core on every screen, a screenshot of each.
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/model-server.ts";
import { api, waitFor } from "../e2e/helpers.ts";
import { eventsOf, untilRun } from "../e2e/runner-setup.ts";
import { ScriptedHost } from "../e2e/scripted-host.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { expectAccessible, signedInContext } from "./session.ts";
import {
  addMember,
  type ConsolePlatform,
  MODEL,
  ownerSignInLink,
  POOL,
  startConsolePlatform,
} from "./platform.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

const FOLLOWUP = "please also check the docs";
const EVENTS = 10_000;
const holds: Array<() => void> = [];

/** The model: holds a HANG run forever, answers the follow-up, and finishes anything else at once. */
function script(req: RecordedRequest) {
  const all = JSON.stringify(req.body?.messages ?? []);
  const last = JSON.stringify(req.body?.messages?.at(-1) ?? {});
  if (all.includes("HANG"))
    return { text: "Working on it", hold: new Promise<void>((r) => holds.push(r)) };
  if (last.includes(FOLLOWUP)) return { text: "Follow-up handled: **docs checked**." };
  return { text: "All done: the **README** is fine." };
}

let p: ConsolePlatform;
let browser: Browser;
let succeededRunId = "";

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

describe.skipIf(!!NO_BROWSER)("the web console", () => {
  it("signs in with an API key and returns to the page that asked", async () => {
    const context = await browser.newContext({ baseURL: p.s.url });
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs?view=failed&state=FAILED&state=ERROR");
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel("API key").fill("ambit_not-a-real-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBeTruthy();
    await expectAccessible(page, "sign-in-error");
    await page.getByLabel("API key").fill(p.s.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/runs\?view=failed/);
    await expect.poll(() => page.getByTestId("who").textContent()).toContain("owner");
    expect(await page.locator("header.shell").textContent()).toContain("Browser team");
    // your sessions: this one listed; ending it signs you out here
    await page.getByTestId("who").click();
    await page.waitForURL(/\/settings\/sessions$/);
    await page.locator("tr[data-current]").waitFor();
    await expectAccessible(page, "sessions");
    await page.locator("tr[data-current]").getByRole("button", { name: "End session" }).click();
    await page.waitForURL(/\/sign-in\?next=%2Fsettings%2Fsessions/);
    // the signed-out /me and the refused key answer 401: the browser logs each, nothing else may fail
    expect(errors.filter((e) => !/401 \(Unauthorized\)/.test(e))).toEqual([]);
    await context.close();
  });

  it("signs in by a one-time link; an ended session returns to the page after signing in again", async () => {
    const context = await browser.newContext({ baseURL: p.s.url });
    const { page, errors } = await watchedPage(context);
    const link = await ownerSignInLink(p.s);
    await page.goto(`${link}?next=${encodeURIComponent("/runs?view=active")}`);
    await page.waitForURL(/\/runs\?view=active/);
    await expect.poll(() => page.getByTestId("who").textContent()).toContain("owner");
    await page.goto("/runs/new");
    await page.getByLabel("Prompt", { exact: true }).waitFor();
    // the session ends (here: its cookie is gone): the next request's 401 leads to sign-in and back
    await context.clearCookies();
    await page.goto("/runs/new?from=expiry");
    await page.waitForURL(/\/sign-in\?next=/);
    expect(decodeURIComponent(page.url())).toContain("next=/runs/new?from=expiry");
    await expectAccessible(page, "sign-in");
    await page.getByLabel("API key").fill(p.s.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/runs\/new\?from=expiry/);
    // a link works once
    await page.goto(link);
    await page.waitForURL(/\/sign-in\?error=link_expired/);
    await page.getByText("expired or was already used").waitFor();
    await expectAccessible(page, "sign-in-link-expired");
    // sign-out ends it
    await page.goto("/runs");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto("/runs");
    await page.waitForURL(/\/sign-in\?next=/);
    expect(errors.filter((e) => !/401 \(Unauthorized\)/.test(e))).toEqual([]);
    await context.close();
  });

  it("creates a run from the console and shows it succeed live, in the run and in the list", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs/new");
    await page.getByLabel("Prompt", { exact: true }).fill("Check the README");
    await page.getByLabel("Model").selectOption(MODEL);
    await page.getByLabel("Host pool").selectOption(POOL);
    // the API's refusal is shown where it happened, with the problem's detail
    await page.getByLabel("Title (optional)").fill("x".repeat(501));
    await page.getByRole("button", { name: "Start run" }).click();
    await page.getByRole("alert").getByText("The run was not created").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("title");
    await page.getByLabel("Title (optional)").fill("");
    await expectAccessible(page, "new-run");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/\/runs\/(?!new)[^/?]+$/);
    succeededRunId = page.url().split("/").pop()!;
    // the answer and the end arrive over the websocket: no reload
    await page
      .locator(".t-message")
      .getByText("All done: the")
      .first()
      .waitFor({ timeout: 60_000 });
    await expect.poll(() => stateOf(page), { timeout: 30_000 }).toBe("SUCCEEDED");
    expect(await page.locator(".t-message strong").first().textContent()).toBe("README"); // Markdown
    await expectAccessible(page, "run-succeeded");

    // a child run sits right under its parent
    const child = await api(p.s.url, "POST", "/api/v1/agent/runs", {
      key: p.s.key,
      body: {
        prompt: "A child task",
        title: "Child",
        parent_run_id: succeededRunId,
        config: { model_id: MODEL, worker_host: POOL },
      },
    });
    expect(child.status, child.text).toBe(200);
    await page.goto("/runs");
    const row = page.locator(`tr[data-run-id="${succeededRunId}"]`);
    await row
      .locator("xpath=following-sibling::tr[1]")
      .and(page.locator(`tr.child[data-run-id="${child.json.run_id}"]`))
      .waitFor();
    await expect.poll(() => row.locator(".badge").getAttribute("data-state")).toBe("SUCCEEDED");
    expect(await row.textContent()).toContain(MODEL);
    // started with the console's session cookie: source WEB_APP (the child, by key: API)
    expect(await row.locator("td").allTextContents()).toContain("WEB_APP");
    await expectAccessible(page, "runs");
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]); // the refused create above
    errors.length = 0;
    // quick views and filters live in the URL, as chips
    await page.getByRole("link", { name: "Failed" }).click();
    await page.waitForURL(/state=FAILED&state=ERROR/);
    await page.getByText("No runs match.").waitFor();
    await page.getByRole("button", { name: "Remove filter state: FAILED" }).click();
    await page.getByRole("button", { name: "Remove filter state: ERROR" }).click();
    await row.waitFor();
    await page.getByLabel("Filter", { exact: true }).selectOption("model_id");
    await page.getByLabel("Value").fill(MODEL);
    await page.getByRole("button", { name: "Add filter" }).click();
    await page.waitForURL(/model_id=fake-gpt/);
    await row.waitFor();
    await page.getByLabel("Search runs").fill("no such words anywhere");
    await page.keyboard.press("Enter");
    await page.getByText("No runs match.").waitFor();
    await page.reload(); // the URL alone restores the screen
    await expect
      .poll(() => page.locator(".chip").allTextContents())
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining("fake-gpt"),
          expect.stringContaining("no such words"),
        ]),
      );
    expect(errors).toEqual([]);
    await context.close();
  });

  it("sends a follow-up that reaches the agent; downloads the transcript; shows the timeline and conversation; shares a public link and copies it", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto(`/runs/${succeededRunId}`);
    await page.locator(".t-message").getByText("All done: the").first().waitFor();
    await page.getByLabel("Follow-up").fill(FOLLOWUP);
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator(".t-followup").getByText(FOLLOWUP).waitFor({ timeout: 30_000 });
    await page.locator(".t-message").getByText("Follow-up handled:").waitFor({ timeout: 60_000 });
    expect(p.model.requests.some((r) => JSON.stringify(r.body).includes(FOLLOWUP))).toBe(true);
    await expect.poll(() => stateOf(page), { timeout: 30_000 }).toBe("SUCCEEDED");
    await expectAccessible(page, "run-followup");
    // the whole log, downloaded as NDJSON
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download transcript" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${succeededRunId}.ndjson`);
    const lines = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual(
      (await eventsOf(p.s, succeededRunId)).map((e) => e.seq),
    );
    // the timeline tab is a URL of its own
    await page.getByRole("link", { name: "Timeline" }).click();
    await page.waitForURL(/\?tab=timeline$/);
    await page.locator(".timeline li").first().waitFor();
    await expectAccessible(page, "run-timeline");
    await page.getByRole("link", { name: "Conversation" }).click();
    await page.waitForURL(/\?tab=conversation$/);
    await page.locator(".c-user").getByText(FOLLOWUP).waitFor(); // what was said, by whom
    await page.locator(".c-assistant").getByText("Follow-up handled:").waitFor();
    await expectAccessible(page, "run-conversation");
    // share: a public link, copied
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Share" }).click();
    await page.getByLabel("Public link").first().selectOption("VIEWER");
    await page.getByRole("button", { name: "Save" }).click();
    const linkBox = page.getByRole("textbox", { name: "Public link" });
    await linkBox.waitFor();
    await expectAccessible(page, "run-share");
    const publicUrl = await linkBox.inputValue();
    expect((await fetch(publicUrl)).status, publicUrl).toBe(200); // no key, no cookie
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(publicUrl);
    await page.getByRole("button", { name: "Close" }).click();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("cancels a run after a confirmation; the runs list shows the new state within 3 s", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    const list = await context.newPage();
    const created = await api(p.s.url, "POST", "/api/v1/agent/runs", {
      key: p.s.key,
      body: {
        prompt: "HANG until cancelled",
        title: "Hangs",
        config: { model_id: MODEL, worker_host: POOL },
      },
    });
    expect(created.status, created.text).toBe(200);
    const runId = created.json.run_id as string;
    await list.goto("/runs");
    await page.goto(`/runs/${runId}`);
    await expect.poll(() => stateOf(page), { timeout: 30_000 }).toBe("INPROGRESS");
    await page.getByRole("button", { name: "Cancel run" }).click();
    await expectAccessible(page, "run-cancel-dialog");
    await page.getByRole("button", { name: "Yes, cancel the run" }).click();
    await untilRun(p.s, runId, (r) => r.state === "CANCELLED", 30_000);
    const cancelledAt = Date.now();
    await expect.poll(() => stateOf(page), { timeout: 3_000 }).toBe("CANCELLED");
    await expect
      .poll(() => list.locator(`tr[data-run-id="${runId}"] .badge`).getAttribute("data-state"), {
        timeout: 3_000,
      })
      .toBe("CANCELLED");
    expect(Date.now() - cancelledAt).toBeLessThan(3_000);
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a viewer no write controls", async () => {
    const viewer = await addMember(p.s, "viewer");
    const context = await signedIn(viewer.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs");
    await expect.poll(() => page.getByTestId("who").textContent()).toContain("viewer");
    await page.locator(`tr[data-run-id="${succeededRunId}"]`).waitFor();
    expect(await page.getByRole("link", { name: "New run" }).count()).toBe(0);
    await expectAccessible(page, "runs-viewer");
    await page.goto(`/runs/${succeededRunId}`);
    await page.locator(".t-message").getByText("All done: the").first().waitFor();
    await expect
      .poll(() => page.locator("[data-live-status]").getAttribute("data-live-status"))
      .toBe("live");
    expect(await page.getByLabel("Follow-up").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Share" }).count()).toBe(0);
    await expectAccessible(page, "run-viewer");
    await page.goto("/runs/new");
    await page.getByText("may watch runs but not start them").waitFor();
    expect(await page.getByRole("button", { name: "Start run" }).count()).toBe(0);
    // and the API refuses anyway
    const refused = await api(p.s.url, "POST", "/api/v1/agent/runs", {
      key: viewer.key,
      body: { prompt: "x" },
    });
    expect(refused.status).toBe(403);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("resumes a dropped session websocket with every event exactly once, then follows live", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.setViewportSize({ width: 1280, height: 4000 }); // every row of the transcript in the window
    let connections = 0;
    // the resumed connection's frames wait until the test has seen the banner: a reconnect faster
    // than a frame of the page would otherwise end the drop before it could be seen
    let bannerSeen = false;
    const held: Array<() => void> = [];
    await page.routeWebSocket(/\/session\?/, (ws) => {
      const server = ws.connectToServer();
      const first = ++connections === 1;
      let dropped = false;
      server.onMessage((message) => {
        if (dropped) return;
        if (!first && !bannerSeen) return void held.push(() => ws.send(message));
        const frame = JSON.parse(String(message));
        const events =
          frame.type === "events" ? frame.events : frame.type === "event" ? [frame.event] : null;
        if (!first || !events) return ws.send(message);
        // the first connection dies in the middle of its replay, after a part of a batch
        dropped = true;
        const part = events.slice(0, Math.max(1, Math.floor(events.length / 2)));
        ws.send(JSON.stringify({ type: "events", events: part }));
        ws.close({ code: 4002, reason: "dropped by the test" });
        server.close();
      });
    });
    const banner = page.getByText("Connection lost — reconnecting").waitFor({ timeout: 20_000 });
    await page.goto(`/runs/${succeededRunId}`);
    await banner; // the drop is shown while it lasts
    bannerSeen = true;
    for (const send of held.splice(0)) send();
    const seqsOnScreen = async () =>
      (
        await page
          .locator("[data-seqs]")
          .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.seqs!))
      ).flatMap((s) => s.split(" ").map(Number));
    const logSeqs = async () => (await eventsOf(p.s, succeededRunId)).map((e) => e.seq as number);
    let expected = await logSeqs();
    await expect.poll(seqsOnScreen, { timeout: 30_000 }).toHaveLength(expected.length);
    expect(connections).toBe(2);
    expect((await seqsOnScreen()).sort((a, b) => a - b)).toEqual(expected);

    // live again after the resume: a new execution's events arrive once each
    const sent = await api(p.s.url, "POST", `/api/v1/agent/runs/${succeededRunId}/followups`, {
      key: p.s.key,
      body: { message: FOLLOWUP },
    });
    expect(sent.status, sent.text).toBeLessThan(300);
    const before = expected.length;
    const ended = await waitFor(
      async () => {
        const events = await eventsOf(p.s, succeededRunId);
        const last = events.at(-1)!;
        return (
          events.length > before &&
          last.type === "run.state_changed" &&
          last.payload.to === "SUCCEEDED"
        );
      },
      60_000,
      250,
    );
    expect(ended, "the follow-up's execution ended").toBe(true);
    expected = await logSeqs();
    await expect.poll(seqsOnScreen, { timeout: 10_000 }).toHaveLength(expected.length);
    expect((await seqsOnScreen()).sort((a, b) => a - b)).toEqual(expected);
    expect(connections).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("replays 10,000 events into a windowed transcript that scrolls and jumps to the latest", async () => {
    // a scripted host (test/e2e/scripted-host.ts) writes the events, as a runner's harness would
    const host = await ScriptedHost.connect(p.s.url, p.s.key, "bulk");
    const created = await api(p.s.url, "POST", "/api/v1/agent/runs", {
      key: p.s.key,
      body: { prompt: "many events", config: { worker_host: "bulk" } },
    });
    const runId = created.json.run_id as string;
    await host.take(runId);
    for (let i = 0; i < EVENTS; i += 500) {
      await host.append(
        runId,
        Array.from({ length: 500 }, (_, j) => ({
          type: "agent.message",
          payload: { text: `Step **${i + j + 1}** of the long run` },
        })),
      );
    }
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    const started = Date.now();
    await page.goto(`/runs/${runId}`);
    const panel = page.locator("[data-events]");
    await expect
      .poll(async () => Number(await panel.getAttribute("data-events")), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(EVENTS);
    await page.getByText(`Step ${EVENTS} of the long run`).waitFor(); // followed to the end
    const replayMs = Date.now() - started;
    const rows = await page.locator(".vrow").count();
    console.log(`10,000 events: replayed and drawn in ${replayMs} ms; ${rows} rows in the page`);
    expect(rows).toBeLessThan(200);
    // scrolled up: earlier rows are drawn, and "Jump to latest" brings back the end
    await page.locator(".vlist").evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.getByRole("button", { name: "Jump to latest ↓" }).waitFor();
    expect(
      await page
        .getByText(/Step \d+ of the long run/)
        .first()
        .textContent(),
    ).not.toContain(String(EVENTS));
    await page.getByRole("button", { name: "Jump to latest ↓" }).click();
    await page.getByText(`Step ${EVENTS} of the long run`).waitFor();
    await expectAccessible(page, "run-10000-events");
    expect(errors).toEqual([]);
    host.close();
    await context.close();
  });
});
