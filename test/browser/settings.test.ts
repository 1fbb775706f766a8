// The configuration screens (/settings/...) in a real browser against a real platform: round
// trips through the UI checked against the API, a secret's value never coming back, a viewer's
// read-only screens, an API refusal inline, axe-core and a screenshot of each screen.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { api } from "../e2e/helpers.ts";
import { launch, NO_BROWSER, watchedPage } from "./browser.ts";
import { addMember, type ConsolePlatform, startConsolePlatform } from "./platform.ts";
import { expectAccessible, signedInContext as signIn } from "./session.ts";

if (NO_BROWSER) console.log(`browser tests skipped: ${NO_BROWSER}`);

let p: ConsolePlatform;
let browser: Browser;

beforeAll(async () => {
  if (NO_BROWSER) return;
  buildConsoleIfMissing();
  [p, browser] = await Promise.all([startConsolePlatform(() => ({ text: "done" })), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

const signedIn = (key: string) => signIn(browser, p.s.url, key);

/** The API's list of a collection, as the owner reads it. */
async function listed(route: string, key: string): Promise<Record<string, unknown>[]> {
  const res = await api(p.s.url, "GET", `/api/v1/agent/${route}`, { key: p.s.key });
  expect(res.status).toBe(200);
  return res.json[key];
}

/** The list's row of the item named `name` (its first cell links to it). */
const row = (page: Page, name: string) =>
  page.locator("table tbody tr").filter({ has: page.getByRole("link", { name, exact: true }) });

/** Opens the item, deletes it through the confirmation, and waits for its row to go. */
async function deleteThrough(page: Page, text: string) {
  await row(page, text).getByRole("link").first().click();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect.poll(() => row(page, text).count()).toBe(0);
}

describe.skipIf(!!NO_BROWSER)("the settings screens", () => {
  it("round-trips an environment, a rule and an env var through the UI and the API", async () => {
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    await page.goto("/runs");
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(/\/settings$/);
    await expectAccessible(page, "settings");

    // environments: list-of-strings and key/value fields
    await page.getByRole("link", { name: "Environments" }).click();
    await page.getByRole("button", { name: "New environment" }).click();
    await page.getByLabel("Name", { exact: true }).fill("web-env");
    await page.getByLabel("Docker image (optional)").fill("node:22");
    await page.getByLabel("Repositories (optional)").fill("acme/api main\nacme/web");
    await page.getByLabel("Setup commands (optional)").fill("npm ci\nnpm run build");
    await page.getByLabel("Environment variables (optional)").fill("NODE_ENV=test\nA=b=c");
    await expectAccessible(page, "settings-environment-new");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "web-env").waitFor();
    let [env] = (await listed("environments", "environments")) as {
      uid: string;
      config: Record<string, unknown>;
    }[];
    expect(env?.config).toMatchObject({
      name: "web-env",
      docker_image: "node:22",
      repositories: [{ url: "acme/api", ref: "main" }, { url: "acme/web" }],
      setup_commands: ["npm ci", "npm run build"],
      env_vars: { NODE_ENV: "test", A: "b=c" },
    });
    await row(page, "web-env").getByRole("link").click();
    await page.getByText("npm run build").waitFor();
    await expectAccessible(page, "settings-environment");
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Setup commands (optional)").fill("npm ci");
    await expectAccessible(page, "settings-environment-edit");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "Edit" }).waitFor();
    [env] = (await listed("environments", "environments")) as (typeof env)[];
    expect(env?.config.setup_commands).toEqual(["npm ci"]);
    expect(env?.config.env_vars).toEqual({ NODE_ENV: "test", A: "b=c" });
    await deleteThrough(page, "web-env");
    expect(await listed("environments", "environments")).toEqual([]);

    // rules: multiline and a checkbox
    await page.goto("/settings/rules");
    await page.getByRole("button", { name: "New rule" }).click();
    await page.getByLabel("Name", { exact: true }).fill("tests");
    await page.getByLabel("Content", { exact: true }).fill("Run the tests.\nThen commit.");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "tests").waitFor();
    expect(await listed("rules", "rules")).toMatchObject([
      { name: "tests", content: "Run the tests.\nThen commit.", enabled: true },
    ]);
    await expectAccessible(page, "settings-rules");
    await row(page, "tests").getByRole("link").click();
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Enabled").uncheck();
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await listed("rules", "rules"))[0]?.enabled).toBe(false);
    await expect.poll(() => row(page, "tests").textContent()).toContain("no");
    await deleteThrough(page, "tests");
    expect(await listed("rules", "rules")).toEqual([]);

    // env vars: the name is the key, fixed once it exists
    await page.goto("/settings/env-vars");
    await page.getByRole("button", { name: "New variable" }).click();
    await page.getByLabel("Name", { exact: true }).fill("LOG_LEVEL");
    await page.getByLabel("Value (optional)").fill("debug");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "LOG_LEVEL").waitFor();
    expect(await listed("env-vars", "env_vars")).toMatchObject([
      { name: "LOG_LEVEL", value: "debug" },
    ]);
    await expectAccessible(page, "settings-env-vars");
    await row(page, "LOG_LEVEL").getByRole("link").click();
    await page.getByRole("button", { name: "Edit" }).click();
    expect(await page.getByLabel("Name", { exact: true }).getAttribute("readonly")).not.toBeNull();
    await page.getByLabel("Value (optional)").fill("info");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await listed("env-vars", "env_vars"))[0]?.value).toBe("info");
    await deleteThrough(page, "LOG_LEVEL");
    expect(await listed("env-vars", "env_vars")).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("never shows a secret's value again: not in the page, not in any response", async () => {
    const VALUE = "sk-very-secret-4f9a1c";
    const NEW_VALUE = "sk-rotated-77b2e0";
    const context = await signedIn(p.s.key);
    const { page, errors } = await watchedPage(context);
    const bodies: Promise<string>[] = [];
    page.on("response", (r) => bodies.push(r.text().catch(() => "")));
    await page.goto("/settings/secrets");
    await page.getByRole("button", { name: "New secret" }).click();
    await page.getByLabel("Name", { exact: true }).fill("OPENAI_API_KEY");
    await page.getByLabel("Type").selectOption("openai_api_key");
    const value = page.getByLabel("Value", { exact: true });
    expect(await value.getAttribute("type")).toBe("password");
    await value.fill(VALUE);
    await expectAccessible(page, "settings-secret-new");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "OPENAI_API_KEY").waitFor();
    const ours = async () =>
      (await listed("secrets", "secrets")).find((x) => x.name === "OPENAI_API_KEY");
    expect(await ours()).toMatchObject({ type: "openai_api_key", scope: { type: "Team" } });
    await row(page, "OPENAI_API_KEY").getByRole("link").click();
    await page.getByText("write-only, never shown").waitFor();
    await expectAccessible(page, "settings-secret");
    // editing: the value input starts empty, a new value replaces the old one
    await page.getByRole("button", { name: "Edit" }).click();
    expect(await page.getByLabel("Value (optional)").inputValue()).toBe("");
    await page.getByLabel("Value (optional)").fill(NEW_VALUE);
    await page.getByLabel("Description (optional)").fill("the team's OpenAI key");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "Edit" }).waitFor();
    await expect.poll(async () => (await ours())?.description).toBe("the team's OpenAI key");
    // reload the list and the item too, then look everywhere
    await page.goto("/settings/secrets?item=team%3AOPENAI_API_KEY");
    await page.getByText("write-only, never shown").waitFor();
    const html = await page.content();
    const answered = (await Promise.all(bodies)).join("\n");
    expect(answered).toContain("OPENAI_API_KEY");
    for (const secret of [VALUE, NEW_VALUE]) {
      expect(html).not.toContain(secret);
      expect(answered).not.toContain(secret);
    }
    await deleteThrough(page, "OPENAI_API_KEY");
    expect(await ours()).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the API's refusal inline: a second rule of the same name is 409", async () => {
    const context = await signedIn(p.s.key);
    const { page } = await watchedPage(context);
    await api(p.s.url, "POST", "/api/v1/agent/rules", {
      key: p.s.key,
      body: { name: "dup", content: "x" },
    });
    await page.goto("/settings/rules?mode=new");
    await page.getByLabel("Name", { exact: true }).fill("dup");
    await page.getByLabel("Content", { exact: true }).fill("again");
    await page.getByRole("button", { name: "Create" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("The rule was not saved").waitFor();
    expect(await alert.textContent()).toContain("named 'dup' already exists");
    // the form keeps what was typed, to fix and send again
    expect(await page.getByLabel("Content", { exact: true }).inputValue()).toBe("again");
    await expectAccessible(page, "settings-rule-conflict");
    await context.close();
  });

  it("shows a viewer every screen without a write control", async () => {
    const viewer = await addMember(p.s, "viewer");
    await api(p.s.url, "POST", "/api/v1/agent/prompts", {
      key: p.s.key,
      body: { name: "triage", prompt: "Triage the issues." },
    });
    const context = await signedIn(viewer.key);
    const { page, errors } = await watchedPage(context);
    const slugs = [
      "environments",
      "secrets",
      "models",
      "mcp-servers",
      "rules",
      "prompts",
      "env-vars",
      "agents",
      "skills",
    ];
    for (const slug of slugs) {
      await page.goto(`/settings/${slug}`);
      await page.locator("h1").waitFor();
      await page.locator("table, .empty").first().waitFor();
      expect(await page.getByRole("button", { name: /^New / }).count(), slug).toBe(0);
      await expectAccessible(page, `settings-${slug}-viewer`);
    }
    await page.goto("/settings/prompts");
    await row(page, "triage").getByRole("link").click();
    await page.getByText("Triage the issues.").waitFor();
    expect(await page.getByRole("button", { name: /Edit|Delete/ }).count()).toBe(0);
    // a form asked for by URL is not drawn either
    await page.goto("/settings/prompts?mode=new");
    await page.locator("h1").waitFor();
    expect(await page.locator("form").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
