// The team's budgets in a real browser against a real platform: an admin sets them on Team and
// `GET /team/budget` agrees; an amount the API refuses shows its 400 where it was typed; a viewer
// reads them with no form; each member's spend against their budget, an admin setting one their
// own and clearing it, a member seeing only their line; Stats' cost section shows the team
// budget; a run that a budget stopped says so on its page. Axe-core and a screenshot of each screen.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/model-server.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { api, type Json } from "../e2e/helpers.ts";
import { untilEnded } from "../e2e/runner-setup.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { addMember, type ConsolePlatform, POOL, startConsolePlatform } from "./platform.ts";
import { expectAccessible, signedInContext } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

/** SPEND: a tool call after every answer, so the agent calls until a budget stops it. */
function script(req: RecordedRequest) {
  if (JSON.stringify(req.body?.messages ?? []).includes("SPEND"))
    return {
      toolCalls: [{ name: "run_shell_command", args: { command: "echo spend" } }],
      usage: { input: 1000, output: 100 },
    };
  return { text: "Done." };
}

let p: ConsolePlatform;
let browser: Browser;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [p, browser] = await Promise.all([startConsolePlatform(script), launch()]);
  // a priced model, so the gateway's ledger counts what its calls cost
  await owner(
    "POST",
    "/agent/models",
    {
      id: "metered",
      provider: "openai",
      model: "metered-1",
      base_url: `${p.model.url}/v1`,
      api_key_secret: "MODEL_KEY",
      prices: { input: 3, output: 15, cache_read: 0, cache_write: 0 },
    },
    201,
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

const signedIn = (key: string) => signedInContext(browser, p.s.url, key, { timezoneId: "UTC" });

/** The API's answer, as the owner asks it; fails on anything but `status`. */
async function owner(method: string, route: string, body?: Json, status = 200): Promise<Json> {
  const res = await api(p.s.url, method, `/api/v1${route}`, { key: p.s.key, body });
  expect(res.status, res.text).toBe(status);
  return res.json;
}

/** The browser reports the refused PATCH as a failed resource; that 400 is the point. */
const unexpected = (errors: string[]) =>
  errors.filter((e) => !/status of 400 .*\/api\/v1\/team\/budget\)$/.test(e));

describe.skipIf(!!NO_BROWSER)("budgets in the console", () => {
  it("saves an admin's budgets (as GET /team/budget reads them); shows the API's 400", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    const form = page.getByRole("form", { name: "Budgets" });
    await form.getByLabel("Team monthly (USD)").fill("500");
    await form.getByLabel("Each member monthly (USD)").fill("100");
    await form.getByLabel("Per run (USD)").fill("5");
    await form.getByRole("button", { name: "Save budgets" }).click();
    await form.getByRole("status").getByText("Saved.").waitFor();
    let b = await owner("GET", "/team/budget");
    expect([b.monthly_usd, b.member_monthly_usd, b.run_max_cost_usd]).toEqual([500, 100, 5]);
    const shown = page.getByTestId("budget");
    await expect.poll(() => shown.locator("[data-budget=monthly]").textContent()).toBe("$500.00");
    expect(await shown.locator("[data-budget=member]").textContent()).toBe("$100.00");
    expect(await shown.locator("[data-budget=run]").textContent()).toBe("$5.00");
    await page.getByRole("meter", { name: "Team spend this month" }).waitFor();
    await page.getByRole("meter", { name: "Your spend this month" }).waitFor();
    await expectAccessible(page, "team-budget-admin");

    // empty is none
    await form.getByLabel("Per run (USD)").fill("");
    await form.getByRole("button", { name: "Save budgets" }).click();
    await expect.poll(async () => (await owner("GET", "/team/budget")).run_max_cost_usd).toBe(null);
    await expect.poll(() => shown.locator("[data-budget=run]").textContent()).toBe("none");

    // an amount the API refuses: its problem, in place; nothing changed
    const refused = await api(p.s.url, "PATCH", "/api/v1/team/budget", {
      key: p.s.key,
      body: { monthly_usd: -5, member_monthly_usd: 100, run_max_cost_usd: null },
    });
    expect(refused.status, refused.text).toBe(400);
    await form.getByLabel("Team monthly (USD)").fill("-5");
    await form.getByRole("button", { name: "Save budgets" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "The budgets were not saved" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(refused.json.detail ?? refused.json.title);
    expect(await alert.textContent()).toContain("monthly_usd");
    b = await owner("GET", "/team/budget");
    expect(b.monthly_usd).toBe(500);
    await expectAccessible(page, "team-budget-refused");

    // Stats' cost section names the team budget
    await page.goto("/stats");
    const line = page.getByTestId("cost-budget");
    await line.waitFor();
    expect(await line.textContent()).toContain("of $500.00");
    expect(unexpected(errors)).toEqual([]);
    await context.close();
  });

  it("shows a viewer the budgets read-only", async () => {
    await owner("PATCH", "/team/budget", { monthly_usd: 250, member_monthly_usd: 50 });
    const viewer = await addMember(p.s, "viewer");
    const context = await signedIn(viewer.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    const shown = page.getByTestId("budget");
    await expect.poll(() => shown.locator("[data-budget=monthly]").textContent()).toBe("$250.00");
    expect(await shown.locator("[data-budget=member]").textContent()).toBe("$50.00");
    await page.getByRole("meter", { name: "Your spend this month" }).waitFor();
    expect(await page.getByRole("form", { name: "Budgets" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Save budgets" }).count()).toBe(0);
    await expectAccessible(page, "team-budget-viewer");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("lists each member's spend against their budget; an admin gives one their own and clears it", async () => {
    await owner("PATCH", "/team/budget", { member_monthly_usd: 50 });
    const member = await addMember(p.s, "member");
    const email = (await owner("GET", "/team/budget")).members.find(
      (m: Json) => m.member_id === member.uid,
    ).email;
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    const table = page.getByTestId("member-budgets");
    const row = table.locator(`[data-member-budget="${email}"]`);
    await expect
      .poll(() => row.locator("[data-col=budget]").textContent())
      .toBe("$50.00 (the team's)");
    const form = page.getByRole("form", { name: `Budget of ${email}` });
    await form.getByLabel(`Own monthly budget of ${email} (USD)`).fill("12.5");
    await form.getByRole("button", { name: "Set" }).click();
    await expect
      .poll(() => row.locator("[data-col=budget]").textContent())
      .toBe("$12.50 (their own)");
    let mine = (await owner("GET", "/team/budget")).members.find(
      (m: Json) => m.member_id === member.uid,
    );
    expect(mine).toMatchObject({ monthly_usd: 12.5, source: "member", percent: 0 });
    expect(await row.locator("[data-col=percent]").textContent()).toBe("0%");
    await expectAccessible(page, "team-member-budgets-admin");
    await form.getByRole("button", { name: "Clear" }).click();
    await expect
      .poll(() => row.locator("[data-col=budget]").textContent())
      .toBe("$50.00 (the team's)");
    mine = (await owner("GET", "/team/budget")).members.find(
      (m: Json) => m.member_id === member.uid,
    );
    expect(mine.source).toBe("team");
    expect(errors).toEqual([]);
    await context.close();

    // the member sees their own line only, with no form
    await owner("PUT", `/team/budget/members/${member.uid}`, { monthly_usd: 7 });
    const theirs = await signedIn(member.key);
    const seen = await watchedPage(theirs);
    await seen.page.goto("/team");
    const own = seen.page.getByTestId("member-budgets");
    await own.locator(`[data-member-budget="${email}"]`).waitFor();
    expect(await own.locator("tbody tr").count()).toBe(1);
    expect(await own.locator("[data-col=budget]").textContent()).toBe("$7.00 (their own)");
    expect(await seen.page.getByRole("form", { name: `Budget of ${email}` }).count()).toBe(0);
    await seen.page.getByText("Your spend this month: $0.00 of $7.00").waitFor();
    await expectAccessible(seen.page, "team-member-budgets-member");
    expect(seen.errors).toEqual([]);
    await theirs.close();
  });

  it("says on a run's page that a budget stopped it", async () => {
    const created = await owner("POST", "/agent/runs", {
      prompt: "SPEND until stopped",
      title: "Stopped by its cap",
      config: { model_id: "metered", worker_host: POOL, max_cost_usd: 0.001 },
    });
    const run = await untilEnded(p.s, created.run_id, 60_000);
    expect([run.state, run.status_message?.error_code]).toEqual(["FAILED", "budget_exceeded"]);
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto(`/runs/${created.run_id}`);
    const header = page.getByRole("region", { name: "Run details" });
    await header.getByText("Over budget.", { exact: true }).waitFor();
    await header.getByText(run.status_message.message).waitFor();
    await expectAccessible(page, "run-budget-exceeded");
    expect(errors).toEqual([]);
    await context.close();
  });
});
