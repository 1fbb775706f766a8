// The console's forms that pick instead of type, and Team's add-member, in a real browser against a
// real platform: a member added with a key shown once (and a viewer without the form), a service
// account added with a host key, a schedule's model, environment and host pool picked, an
// environment's secrets and a named agent's references picked, a skill edited in place, the split
// chart on Stats — each checked against the API, with
// axe-core and a screenshot of each screen.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { api, type Json } from "../e2e/helpers.ts";
import { createRun, untilEnded } from "../e2e/runner-setup.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { addMember, type ConsolePlatform, MODEL, POOL, startConsolePlatform } from "./platform.ts";
import { expectAccessible, signedInContext } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

let p: ConsolePlatform;
let browser: Browser;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [p, browser] = await Promise.all([startConsolePlatform(() => ({ text: "Done." })), launch()]);
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

const skillMd = (description: string, body: string) =>
  `---\nname: review\ndescription: ${description}\n---\n${body}\n`;

/** The settings item's form, opened through its Edit button. */
async function editItem(page: Page, slug: string, key: string) {
  await page.goto(`/settings/${slug}?item=${encodeURIComponent(key)}`);
  await page.getByRole("button", { name: "Edit" }).click();
  await page.waitForURL(/mode=edit/);
}

describe.skipIf(!!NO_BROWSER)("forms that pick references, and adding a member", () => {
  it("adds a member with a role and shows their new key once; a viewer has no such form (nor a schedule's)", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    const form = page.getByRole("form", { name: "Add a member" });
    const email = `new-${Date.now()}@example.com`;
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Name").fill("New Person");
    await form.getByLabel("Role", { exact: true }).selectOption("viewer");
    await form.getByRole("button", { name: "Add member" }).click();
    // the list refreshes with them, and their key is shown once
    const row = page.locator(`tr[data-member="${email}"]`);
    await row.waitFor();
    expect(await row.locator('[data-col="role"]').textContent()).toContain("viewer");
    const value = await page.getByTestId("member-key-value").inputValue();
    expect(value).toMatch(/^ambit_/);
    const me = await api(p.s.url, "GET", "/api/v1/me", { key: value });
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ role: "viewer" });
    const members = (await owner("GET", "/team/members")).members as Json[];
    expect(members.find((m) => m.email === email)).toMatchObject({
      display_name: "New Person",
      role: "viewer",
    });
    await expectAccessible(page, "team-member-added");
    // the same email again: the API's 409 inline, with its detail
    await form.getByLabel("Email").fill(email);
    await form.getByRole("button", { name: "Add member" }).click();
    await page.getByRole("alert").getByText("already a member").waitFor();
    // never shown again
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId("member-key-value").count()).toBe(0);
    expect(await page.content()).not.toContain(value);
    expect(errors.filter((e) => !e.includes("409"))).toEqual([]);
    await context.close();

    const viewer = await addMember(p.s, "viewer");
    const theirs = await signedIn(viewer.key);
    const v = await watchedPage(theirs);
    await v.page.goto("/team");
    await v.page.getByTestId("members").waitFor();
    expect(await v.page.getByRole("form", { name: "Add a member" }).count()).toBe(0);
    expect(await v.page.getByRole("button", { name: /Add member|Remove/ }).count()).toBe(0);
    expect(await v.page.getByRole("combobox").count()).toBe(0);
    await expectAccessible(v.page, "team-viewer");
    // nor a schedule form asked for by URL
    await v.page.goto("/schedules/new");
    await v.page.getByRole("alert").getByText("may read schedules").waitFor();
    expect(await v.page.locator("form").count()).toBe(0);
    expect(v.errors).toEqual([]);
    await theirs.close();
  });

  it("adds a service account with a host key for one pool, shown once; its role offers no owner", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/team");
    const form = page.getByRole("form", { name: "Add a service account" });
    await form.waitFor();
    expect(
      await form.getByLabel("Role", { exact: true }).locator("option").allTextContents(),
    ).toEqual(["admin", "member", "viewer"]);
    const name = `ci-${Date.now()}`;
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Description").fill("builds on the build pool");
    // a host key needs an admin's role (hosts:connect)
    await form.getByLabel("Role", { exact: true }).selectOption("admin");
    await form.getByLabel("Scopes").selectOption("host");
    await form.getByLabel("Pools").fill("build");
    await form.getByRole("button", { name: "Add service account" }).click();
    const value = await page.getByTestId("account-key-value").inputValue();
    expect(value).toMatch(/^ambit_/);
    // the members table lists it as a service account, with no owner among its roles
    const accounts = (await owner("GET", "/service-accounts")).service_accounts as Json[];
    const account = accounts.find((a) => a.name === name);
    expect(account).toMatchObject({ role: "admin", description: "builds on the build pool" });
    const row = page.locator(`tr[data-member="${account?.uid}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-type")).toBe("service_account");
    expect(await row.locator("option").allTextContents()).not.toContain("owner");
    // its key: for hosts of the build pool only, held by the account, refused by the API
    const keys = (await owner("GET", "/api-keys")).api_keys as Json[];
    expect(keys.find((k) => (k.principal as Json).uid === account?.uid)).toMatchObject({
      scopes: ["hosts:connect"],
      pools: ["build"],
      role: "admin",
    });
    const me = await api(p.s.url, "GET", "/api/v1/agent/runs", { key: value });
    expect(me.status, me.text).toBe(403);
    await expectAccessible(page, "team-service-account-added");
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId("account-key-value").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("edits a schedule's model, environment and host pool from lists, keeping the rest of its agent_config", async () => {
    const env = await owner("POST", "/agent/environments", { name: "sched-env" }, 201);
    const schedule = await owner(
      "POST",
      "/agent/schedules",
      {
        name: "nightly",
        cron_schedule: "0 3 1 1 *",
        prompt: "Check it",
        agent_config: { idle_timeout_minutes: 7 },
      },
      201,
    );
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto(`/schedules/${schedule.id}/edit`);
    // pickers, not text boxes, each fed by its list
    await expect.poll(() => page.getByLabel("Model").isEnabled()).toBe(true);
    await page.getByLabel("Model").selectOption(MODEL);
    await expect.poll(() => page.getByLabel("Environment").isEnabled()).toBe(true);
    await page.getByLabel("Environment").selectOption({ label: "sched-env" });
    await expect.poll(() => page.getByLabel("Host pool").isEnabled()).toBe(true);
    await page.getByLabel("Host pool").selectOption(POOL);
    await expectAccessible(page, "schedule-edit-pickers");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.waitForURL(new RegExp(`/schedules/${schedule.id}$`));
    const saved = await owner("GET", `/agent/schedules/${schedule.id}`);
    expect(saved.agent_config).toEqual({
      idle_timeout_minutes: 7,
      model_id: MODEL,
      environment_id: env.uid,
      worker_host: POOL,
    });
    // the schedule's page names them (the environment by its name)
    expect(await page.locator('[data-field="Environment"]').textContent()).toBe("sched-env");
    expect(await page.locator('[data-field="Host pool"]').textContent()).toBe(POOL);
    // back to the team default: the key goes, the rest stays
    await page.goto(`/schedules/${schedule.id}/edit`);
    await expect.poll(() => page.getByLabel("Model").inputValue()).toBe(MODEL);
    await page.getByLabel("Model").selectOption("");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.waitForURL(new RegExp(`/schedules/${schedule.id}$`));
    const reset = await owner("GET", `/agent/schedules/${schedule.id}`);
    expect(reset.agent_config).toEqual({
      idle_timeout_minutes: 7,
      environment_id: env.uid,
      worker_host: POOL,
    });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("picks an environment's secrets and a named agent's model, environment, skills and secrets", async () => {
    await owner("POST", "/agent/secrets", { name: "GH_TOKEN", value: "ghp-never-shown" }, 201);
    await owner("POST", "/agent/secrets", { name: "NPM_TOKEN", value: "npm-never-shown" }, 201);
    const skill = await owner("POST", "/agent/skills", {
      repo: "acme/tools",
      skill_path: "skills/review/SKILL.md",
      content: skillMd("Reviews", "Read the diff."),
    });
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/settings/environments?mode=new");
    await page.getByLabel("Name", { exact: true }).fill("picked-env");
    const secrets = page.getByRole("group", { name: /^Default secrets/ });
    await secrets.getByLabel("GH_TOKEN").check();
    await page.getByLabel(/^Host pool/).selectOption(POOL);
    await expectAccessible(page, "settings-environment-picked");
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/\/settings\/environments$/);
    const envs = (await owner("GET", "/agent/environments")).environments as Json[];
    const env = envs.find((e) => e.config.name === "picked-env")!;
    expect(env.config).toMatchObject({ secrets: [{ name: "GH_TOKEN" }], worker_host: POOL });
    // editing shows what is picked, and a second pick adds to it
    await editItem(page, "environments", env.uid);
    expect(await secrets.getByLabel("GH_TOKEN").isChecked()).toBe(true);
    await secrets.getByLabel("NPM_TOKEN").check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL((u) => !u.search.includes("mode=edit"));
    const edited = await owner("GET", `/agent/environments/${env.uid}`);
    expect(edited.config.secrets).toEqual([{ name: "GH_TOKEN" }, { name: "NPM_TOKEN" }]);

    await page.goto("/settings/agents?mode=new");
    await page.getByLabel("Name", { exact: true }).fill("reviewer");
    await page.getByLabel(/^Model/).selectOption(MODEL);
    await page.getByLabel(/^Environment/).selectOption({ label: "picked-env" });
    await page
      .getByRole("group", { name: /^Skills/ })
      .getByLabel(/review/)
      .check();
    await page
      .getByRole("group", { name: /^Secrets/ })
      .getByLabel("NPM_TOKEN")
      .check();
    await expectAccessible(page, "settings-agent-picked");
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/\/settings\/agents$/);
    const agents = (await owner("GET", "/agent/identities")).agents as Json[];
    expect(agents.find((a) => a.name === "reviewer")).toMatchObject({
      base_model: MODEL,
      environment_id: env.uid,
      skills: [skill.id],
      secrets: [{ name: "NPM_TOKEN" }],
    });
    // a model's key secret is picked too
    await editItem(page, "models", MODEL);
    await page.getByLabel(/^API key secret/).selectOption("GH_TOKEN");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL((u) => !u.search.includes("mode=edit"));
    const models = (await owner("GET", "/agent/models")).models as Json[];
    // (the scripted model server takes any key)
    expect(models.find((m) => m.id === MODEL)?.api_key_secret).toBe("GH_TOKEN");
    expect(await page.content()).not.toContain("never-shown");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("edits a skill in place: same id, new text and host pool", async () => {
    const id = "acme/tools:skills/inplace/SKILL.md";
    await owner("POST", "/agent/skills", {
      repo: "acme/tools",
      skill_path: "skills/inplace/SKILL.md",
      content: skillMd("Before", "Old steps."),
    });
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await editItem(page, "skills", id);
    // its identity is shown, not changed
    expect(await page.getByLabel("Repository").getAttribute("readonly")).not.toBeNull();
    const text = page.getByLabel("SKILL.md", { exact: true });
    // it starts from the registered text, front matter included
    expect(await text.inputValue()).toBe(skillMd("Before", "Old steps."));
    await text.fill(skillMd("After", "New steps."));
    await page.getByLabel(/^Host pool/).selectOption(POOL);
    await expectAccessible(page, "settings-skill-edit");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL((u) => !u.search.includes("mode=edit"));
    const variants = ((await owner("GET", "/agent?repo=acme/tools")).agents as Json[]).flatMap(
      (a) => a.variants as Json[],
    );
    expect(variants.filter((v) => v.id === id)).toEqual([
      expect.objectContaining({
        description: "After",
        base_prompt: "New steps.",
        source: expect.objectContaining({ worker_host: POOL }),
      }),
    ]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("draws a non-day split as a bar chart with the API's totals, the table kept", async () => {
    const runs = await Promise.all(["one", "two"].map((x) => createRun(p.s, x, POOL)));
    await Promise.all(runs.map((id) => untilEnded(p.s, id, 60_000)));
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/stats?group_by=source");
    const chart = page.getByTestId("split-chart");
    await chart.waitFor();
    const stats = await owner("GET", "/stats/runs?group_by=source&tz=UTC");
    for (const b of stats.series as Json[]) {
      const bar = chart.locator(`g[data-group="${b.key ?? ""}"]`);
      expect(await bar.getAttribute("data-total")).toBe(String(b.total));
    }
    expect(await chart.getByRole("img").getAttribute("aria-label")).toMatch(/^Runs by source: /);
    await page.getByTestId("split").waitFor();
    await expectAccessible(page, "stats-split-chart");
    // by day there is the day chart, not this one
    await page.getByLabel("Split by").selectOption("day");
    await page.waitForURL(/group_by=day/);
    await page.getByTestId("split").waitFor();
    expect(await chart.count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
