// What every console browser test does: sign in through the sign-in page, and check a screen with
// axe-core after saving its screenshot.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import { axeViolations } from "./axe.ts";
import { shot } from "./browser.ts";

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

/** A screenshot of `screen`, then no serious or critical axe violation on it. */
export async function expectAccessible(page: Page, screen: string) {
  await shot(page, screen);
  expect(await axeViolations(page), `axe on ${screen}`).toEqual([]);
}
