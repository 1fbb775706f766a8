// The Stats, Hosts and Team screens in a real browser against a real platform: runs seeded in
// known states through the API (the runner and the scripted model end them), the figures on screen
// checked against `GET /stats/runs`, the runner seen on Hosts, keys and roles managed on Team,
// a viewer's read-only Team, axe-core and a screenshot of each screen.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/model-server.ts";
import { api, type Json } from "../e2e/helpers.ts";
import { untilEnded, untilRun } from "../e2e/runner-setup.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { formatDuration, formatUsd as usd } from "../../packages/web/src/lib/format.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { addMember, type ConsolePlatform, MODEL, POOL, startConsolePlatform } from "./platform.ts";
import { expectAccessible, signedInContext } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

const holds: Array<() => void> = [];

/** The model: BROKEN answers 400 (the run fails), HANG holds, anything else finishes at once. */
function script(req: RecordedRequest) {
  const all = JSON.stringify(req.body?.messages ?? []);
  if (all.includes("BROKEN")) return { status: 400, body: '{"error":{"message":"bad model"}}' };
  if (all.includes("HANG"))
    return { text: "Working", hold: new Promise<void>((r) => holds.push(r)) };
  return { text: "Done." };
}

let p: ConsolePlatform;
let browser: Browser;
let hanging = "";

async function startRun(prompt: string): Promise<string> {
  const created = await api(p.s.url, "POST", "/api/v1/agent/runs", {
    key: p.s.key,
    body: { prompt, title: prompt, config: { model_id: MODEL, worker_host: POOL } },
  });
  expect(created.status, created.text).toBe(200);
  return created.json.run_id as string;
}

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [p, browser] = await Promise.all([startConsolePlatform(script), launch()]);
  // known states: 2 SUCCEEDED, 1 FAILED (or ERROR: the model refused), 1 CANCELLED, 1 running
  const ids = await Promise.all(["ok one", "ok two", "BROKEN model"].map(startRun));
  await Promise.all(ids.map((id) => untilEnded(p.s, id, 60_000)));
  const cancelled = await startRun("HANG then cancel");
  await untilRun(p.s, cancelled, (r) => r.state === "INPROGRESS", 30_000);
  await api(p.s.url, "POST", `/api/v1/agent/runs/${cancelled}/cancel`, { key: p.s.key });
  await untilRun(p.s, cancelled, (r) => r.state === "CANCELLED", 40_000);
  hanging = await startRun("HANG while Hosts is open");
  await untilRun(p.s, hanging, (r) => r.state === "INPROGRESS", 30_000);
}, 180_000);

afterAll(async () => {
  for (const release of holds) release();
  await browser?.close();
  await p?.stop();
});

const signedIn = (key: string) => signedInContext(browser, p.s.url, key, { timezoneId: "UTC" });

const stats = async (query: string): Promise<Json> => {
  const res = await api(p.s.url, "GET", `/api/v1/stats/runs?${query}`, { key: p.s.key });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

const usage = async (query: string): Promise<Json> => {
  const res = await api(p.s.url, "GET", `/api/v1/usage?${query}`, { key: p.s.key });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

const percent = (r: number | null) =>
  r === null ? "—" : `${(r * 100).toFixed(r === 1 || r === 0 ? 0 : 1)}%`;

describe.skipIf(!!NO_BROWSER)("stats, hosts and team screens", () => {
  it("shows the runs' stats as GET /stats/runs computes them, the range in the URL", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/stats");
    // the defaults land in the URL: the last 30 days in the browser's zone, by day
    await page.waitForURL(/\/stats\?from=\d{4}-\d{2}-\d{2}&to=.*&tz=UTC&group_by=day/);
    const url = new URL(page.url());
    const expected = await stats(url.search.slice(1));
    expect(expected.total).toBe(5);
    expect(expected.by_state.SUCCEEDED).toBe(2);
    expect(expected.by_state.CANCELLED).toBe(1);
    const figure = (id: string) => page.locator(`[data-figure="${id}"]`).textContent();
    await expect.poll(() => figure("total")).toBe("5");
    expect(await figure("success")).toBe(percent(expected.success_rate));
    expect(await figure("run-p50")).toBe(formatDuration(expected.run_time_ms.p50));
    expect(await figure("run-p95")).toBe(formatDuration(expected.run_time_ms.p95));
    expect(await figure("queue-p50")).toBe(formatDuration(expected.queue_time_ms.p50));
    expect(await figure("queue-p95")).toBe(formatDuration(expected.queue_time_ms.p95));
    // today's bar carries every run
    const today = url.searchParams.get("to");
    expect(await page.locator(`g[data-day="${today}"]`).getAttribute("data-total")).toBe("5");
    // the failure reason the model's refusal left
    const reasons = page.getByTestId("failure-reasons").locator("li");
    expect(await reasons.count()).toBe(expected.failure_reasons.length);
    expect(expected.failure_reasons.length).toBeGreaterThan(0);
    expect(await reasons.first().locator("strong").getAttribute("data-count")).toBe(
      String(expected.failure_reasons[0].count),
    );
    // what the runs cost, as GET /usage sums the gateway's ledger
    const spent = await usage(url.search.slice(1));
    expect(spent.total.runs).toBe(5);
    expect(spent.total.model_calls).toBeGreaterThan(0);
    await expect.poll(() => figure("model-calls")).toBe(String(spent.total.model_calls));
    expect(await figure("cost")).toBe(usd(spent.total.cost_usd));
    expect(await figure("failed-calls")).toBe(String(spent.total.failed_model_calls));
    expect(await figure("tokens")).toBe(spent.total.tokens.total.toLocaleString("en-US"));
    const costToday = page.locator(`g[data-cost-day="${today}"]`);
    expect(Number(await costToday.getAttribute("data-cost"))).toBe(spent.total.cost_usd);
    const byModel = await usage(url.search.slice(1).replace("group_by=day", "group_by=model"));
    const top = byModel.series[0].key;
    const topModel = page.locator(`[data-testid="top-model"] tr[data-key="${top}"]`);
    expect(await topModel.locator('[data-col="calls"]').textContent()).toBe(
      String(byModel.series[0].model_calls),
    );
    const topMember = page.locator(`[data-testid="top-member"] tr[data-key="${p.s.owner.uid}"]`);
    expect(await topMember.locator('[data-col="cost"]').textContent()).toBe(
      usd(spent.total.cost_usd),
    );
    expect(await topMember.locator("th").textContent()).not.toBe(p.s.owner.uid); // a name
    await expectAccessible(page, "stats");

    // split by state: the URL says so, each row matches the API
    await page.getByLabel("Split by").selectOption("state");
    await page.waitForURL(/group_by=state/);
    const byState = await stats(new URL(page.url()).search.slice(1));
    await page.locator('[data-testid="split"] tr[data-key="SUCCEEDED"]').waitFor();
    for (const b of byState.series) {
      const row = page.locator(`[data-testid="split"] tr[data-key="${b.key}"]`);
      expect(await row.locator('[data-col="total"]').textContent()).toBe(String(b.total));
    }
    await expectAccessible(page, "stats-by-state");

    // a range with no runs: the URL holds it, and after a reload too
    await page.getByLabel("From").fill("2020-01-01");
    await page.getByLabel("To (included)").fill("2020-01-31");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/from=2020-01-01&to=2020-01-31/);
    await page.reload();
    await expect.poll(() => figure("total")).toBe("0");
    expect(await page.getByLabel("From").inputValue()).toBe("2020-01-01");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the runner's pool on Hosts: its capacity, the run it holds, when it was heard", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    const api_ = await api(p.s.url, "GET", "/api/v1/hosts", { key: p.s.key });
    const host = (api_.json.hosts as Json[]).find((h) => h.worker_id === POOL)!;
    expect(host.running).toContain(hanging);
    await page.goto("/hosts");
    const pool = page.locator(`section[data-pool="${POOL}"]`);
    const row = pool.locator(`tr[data-connection="${host.connection_id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-col="capacity"]').textContent()).toBe(
      `${host.running.length} / ${host.capacity}`,
    );
    expect(await pool.getByTestId("pool-load").textContent()).toContain(
      `${host.running.length} of ${host.capacity} slots busy`,
    );
    // the host's vendor CLIs as its hello named them, those outside the tested range marked
    const clis = (host.clis as Json[])
      .map((c) => `${c.name} ${c.version}${c.in_tested_range ? "" : " (untested)"}`)
      .join(" ");
    expect((await row.locator('[data-col="clis"]').textContent())?.trim()).toBe(clis || "—");
    // the running run links to its page
    await row.getByRole("link", { name: hanging }).waitFor();
    expect(await row.textContent()).toMatch(/(just now|\d+ s ago)/);
    await expectAccessible(page, "hosts");
    await row.getByRole("link", { name: hanging }).click();
    await page.waitForURL(`**/runs/${hanging}`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("lets an owner create a key (shown once), revoke it, and change a member's role", async () => {
    const member = await addMember(p.s, "member");
    const context = await signedIn(p.s.key);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    await page.getByTestId("api-keys").waitFor();
    // create: the value is shown once, copies, and works
    // the add-member form has a name and a role too
    const keyForm = page.getByRole("form", { name: "New API key" });
    await keyForm.getByLabel("Name").fill("console key");
    await keyForm.getByLabel("Role", { exact: true }).selectOption("viewer");
    await page.getByRole("button", { name: "Create key" }).click();
    const value = await page.getByTestId("key-value").inputValue();
    expect(value).toMatch(/^ambit_/);
    await page.getByRole("button", { name: "Copy" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    const row = page.locator('tr[data-key-name="console key"]');
    await row.waitFor();
    expect(await row.textContent()).not.toContain(value);
    const me = await api(p.s.url, "GET", "/api/v1/me", { key: value });
    expect(me.status).toBe(200);
    expect(me.json.role).toBe("viewer");
    await expectAccessible(page, "team-key-created");
    // gone after a reload; the list never holds a value
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId("key-value").count()).toBe(0);
    expect(await page.content()).not.toContain(value);
    // revoke, after a confirmation: the key is refused from then on
    await row.getByRole("button", { name: "Revoke console key" }).click();
    await expectAccessible(page, "team-revoke-dialog");
    await page.getByRole("button", { name: "Yes, revoke it" }).click();
    await expect.poll(() => row.getAttribute("data-revoked")).toBe("");
    expect((await api(p.s.url, "GET", "/api/v1/me", { key: value })).status).toBe(401);
    // change the member's role
    await page.getByLabel("Role of A member").selectOption("viewer");
    await expect
      .poll(async () => {
        const res = await api(p.s.url, "GET", "/api/v1/team/members", { key: p.s.key });
        return (res.json.members as Json[]).find((m) => m.uid === member.uid)?.role;
      })
      .toBe("viewer");
    // and the limits
    await page.getByLabel("Runs at once").fill("7");
    await page.getByRole("button", { name: "Save limits" }).click();
    await page.getByText("Saved.").waitFor();
    const team = await api(p.s.url, "GET", "/api/v1/team", { key: p.s.key });
    expect(team.json.limits.max_concurrent_runs).toBe(7);
    await expectAccessible(page, "team-owner");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a viewer the team with no write controls", async () => {
    const viewer = await addMember(p.s, "viewer");
    const context = await signedIn(viewer.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    await page.getByTestId("members").waitFor();
    await page.getByTestId("limits").waitFor();
    expect(await page.locator("main select, main input, main button").count()).toBe(0);
    expect(await page.getByTestId("api-keys").count()).toBe(0);
    await expectAccessible(page, "team-viewer");
    // and the API refuses anyway
    const refused = await api(p.s.url, "PATCH", "/api/v1/team", {
      key: viewer.key,
      body: { limits: { max_concurrent_runs: 3 } },
    });
    expect(refused.status).toBe(403);
    expect(errors).toEqual([]);
    await context.close();
  });
});
