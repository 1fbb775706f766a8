// Debian's chromium driven by playwright-core (no browser download): found, launched, and every
// page watched for console errors. Without chromium the browser tests skip with one line.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type ConsoleMessage,
  type Page,
} from "playwright-core";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
].filter(Boolean) as string[];
export const CHROMIUM = CANDIDATES.find((p) => existsSync(p));
export const NO_BROWSER = CHROMIUM
  ? undefined
  : `no chromium at ${CANDIDATES.join(" or ")} (apt-get install -y chromium; CI installs it)`;

export const SHOTS = path.join(ROOT, "test-results/browser");

export async function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM!,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** A page whose console errors and uncaught exceptions are collected (`errors`). */
export async function watchedPage(
  context: BrowserContext,
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** A browser context signed in with `key` through the sign-in page. */
export async function signedInContext(
  browser: Browser,
  baseURL: string,
  key: string,
  options: { timezoneId?: string } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, ...options });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/runs");
  await page.close();
  return context;
}
